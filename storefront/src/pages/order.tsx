import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { getOrder, type OrderDetail } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';
import { orderStatusLabel } from './order-status.js';

export function OrderSummary({ order }: { order: OrderDetail }) {
  return (
    <>
      <dl className="details">
        <dt>Order</dt>
        <dd>{order.id}</dd>
        <dt>Placed</dt>
        <dd>{new Date(order.createdAt).toLocaleString()}</dd>
        <dt>Status</dt>
        <dd>{orderStatusLabel(order.status)}</dd>
        {order.cardLast4 && (
          <>
            <dt>Paid with</dt>
            <dd>
              {order.cardBrand ?? 'Card'} ending {order.cardLast4}
            </dd>
          </>
        )}
        <dt>Total</dt>
        <dd>{formatMoney(order.totalMinor, order.currency)}</dd>
      </dl>
      {order.items && order.items.length > 0 && (
        <table className="cart-table">
          <caption className="visually-hidden">Items in this order</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Price</th>
              <th scope="col">Quantity</th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((line) => (
              <tr key={line.productId}>
                <th scope="row">{line.name}</th>
                <td>{formatMoney(line.unitPriceMinor, order.currency)}</td>
                <td>{line.quantity}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function OrderPage() {
  const { id = '' } = useParams();
  const [order, setOrder] = useState<OrderDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle('Order details');

  useEffect(() => {
    getOrder(id).then(setOrder, (err) =>
      setError(
        [400, 404].includes((err as { status?: number }).status ?? 0)
          ? 'No such order in your account.'
          : errorText(err),
      ),
    );
  }, [id]);

  return (
    <section aria-labelledby="order-title">
      <p>
        <Link to="/account">← Your account</Link>
      </p>
      <h1 id="order-title">Order details</h1>
      {error && <ErrorMessage>{error}</ErrorMessage>}
      {!order && !error && <Loading label="Loading the order…" />}
      {order && <OrderSummary order={order} />}
    </section>
  );
}
