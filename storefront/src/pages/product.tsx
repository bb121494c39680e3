import { type FormEvent, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { getCart, getProduct, MAX_QUANTITY, type Product, setCartItem } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

export function ProductPage() {
  const { id = '' } = useParams();
  const [product, setProduct] = useState<Product | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [quantity, setQuantity] = useState(1);
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const [addError, setAddError] = useState<string | null>(null);
  useTitle(product?.name ?? 'Product');

  useEffect(() => {
    let cancelled = false;
    setProduct(null);
    setError(null);
    getProduct(id).then(
      (p) => !cancelled && setProduct(p),
      (err) =>
        !cancelled &&
        setError(
          // A malformed id (400) and an unknown one (404) mean the same to a shopper.
          [400, 404].includes((err as { status?: number }).status ?? 0)
            ? 'This product does not exist.'
            : errorText(err),
        ),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);

  async function onAdd(event: FormEvent) {
    event.preventDefault();
    setAdding(true);
    setAdded(null);
    setAddError(null);
    try {
      // The api sets a line's quantity: add to what the cart already holds.
      const cart = await getCart();
      const current = cart.items.find((line) => line.productId === id)?.quantity ?? 0;
      const next = Math.min(MAX_QUANTITY, current + quantity);
      const updated = await setCartItem(id, next);
      const now = updated.items.find((line) => line.productId === id)?.quantity ?? next;
      setAdded(`Added. Your cart now holds ${now} × ${product?.name ?? 'this product'}.`);
    } catch (err) {
      setAddError(errorText(err));
    } finally {
      setAdding(false);
    }
  }

  if (error)
    return (
      <section>
        <h1>Product</h1>
        <ErrorMessage>{error}</ErrorMessage>
        <p>
          <Link to="/">Back to the catalogue</Link>
        </p>
      </section>
    );
  if (!product) return <Loading label="Loading product…" />;
  return (
    <article className="product-detail" aria-labelledby="product-title">
      <p>
        <Link to="/">← Catalogue</Link>
      </p>
      <h1 id="product-title">{product.name}</h1>
      <p className="description">{product.description}</p>
      <p className="price">{formatMoney(product.priceMinor, product.currency)}</p>
      <form className="add-to-cart" onSubmit={onAdd}>
        <label htmlFor="quantity">Quantity</label>
        <input
          id="quantity"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_QUANTITY}
          value={quantity}
          onChange={(e) => setQuantity(Math.min(MAX_QUANTITY, Math.max(1, Number.parseInt(e.target.value, 10) || 1)))}
        />
        <button type="submit" disabled={adding}>
          {adding ? 'Adding…' : 'Add to cart'}
        </button>
      </form>
      <div aria-live="polite">
        {added && (
          <p className="status status-ok">
            {added} <Link to="/cart">View cart</Link>
          </p>
        )}
      </div>
      {addError && <ErrorMessage>{addError}</ErrorMessage>}
    </article>
  );
}
