import { type FormEvent, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { type Cart, type CartLine, getCart, MAX_QUANTITY, removeFromCart, setCartItem } from '../api/shop.js';
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

  async function change(productId: string, action: () => Promise<Cart>) {
    setBusy(productId);
    setError(null);
    try {
      setCart(await action());
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
          <table className="cart-table editable">
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
                  <td>{formatMoney(line.unitPriceMinor, line.currency)}</td>
                  <td>
                    <QuantityForm
                      line={line}
                      disabled={busy === line.productId}
                      onSet={(q) => change(line.productId, () => setCartItem(line.productId, q))}
                    />
                  </td>
                  <td>{formatMoney(line.lineTotalMinor, line.currency)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy === line.productId}
                      onClick={() => change(line.productId, () => removeFromCart(line.productId))}
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
                <td className="total">{formatMoney(cart.subtotalMinor, cart.currency ?? 'EUR')}</td>
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

function QuantityForm({ line, disabled, onSet }: { line: CartLine; disabled: boolean; onSet(q: number): void }) {
  const [value, setValue] = useState(String(line.quantity));
  useEffect(() => setValue(String(line.quantity)), [line.quantity]);
  const inputId = `qty-${line.productId}`;
  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const q = Number.parseInt(value, 10);
    if (q >= 1 && q <= MAX_QUANTITY && q !== line.quantity) onSet(q);
  }
  return (
    <form className="quantity-form" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="visually-hidden">
        Quantity of {line.name}
      </label>
      <input
        id={inputId}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_QUANTITY}
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" className="secondary" disabled={disabled}>
        Update
      </button>
    </form>
  );
}
