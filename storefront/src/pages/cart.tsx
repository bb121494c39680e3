import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { type Cart, getCart, removeFromCart } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { useSession } from '../components/session.js';
import { Empty, ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

export function CartPage() {
  const { user } = useSession();
  const [cart, setCart] = useState<Cart | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useTitle('Your cart');

  useEffect(() => {
    getCart().then(setCart, (err) => setError(errorText(err)));
  }, []);

  async function onRemove(productId: string) {
    setBusy(productId);
    setError(null);
    try {
      setCart(await removeFromCart(productId));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      {error && <ErrorMessage>{error}</ErrorMessage>}
      {!cart && !error && <Loading label="Loading your cart…" />}
      {cart && cart.items.length === 0 && (
        <Empty>
          <p>
            Your cart is empty. <Link to="/">Browse the catalogue</Link>
          </p>
        </Empty>
      )}
      {cart && cart.items.length > 0 && (
        <>
          <table className="cart-table">
            <caption className="visually-hidden">Items in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cart.items.map((line) => (
                <tr key={line.productId}>
                  <th scope="row">
                    <Link to={`/products/${line.productId}`}>{line.name}</Link>
                  </th>
                  <td>{formatMoney(line.unitPriceMinor, cart.currency)}</td>
                  <td>{line.quantity}</td>
                  <td>{formatMoney(line.lineTotalMinor, cart.currency)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy === line.productId}
                      onClick={() => onRemove(line.productId)}
                      aria-label={`Remove ${line.name} from cart`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>
                  Total
                </th>
                <td className="total">{formatMoney(cart.totalMinor, cart.currency)}</td>
                <td />
              </tr>
            </tfoot>
          </table>
          <p className="actions">
            {user ? (
              <Link className="button" to="/checkout">
                Go to checkout
              </Link>
            ) : (
              <>
                <Link className="button" to="/signup?next=/checkout">
                  Sign up to check out
                </Link>{' '}
                or <Link to="/login?next=/checkout">log in</Link>
              </>
            )}
          </p>
        </>
      )}
    </section>
  );
}
