import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { listOrders, type OrderSummary } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { PrivacySection } from '../components/privacy-section.js';
import { useSession } from '../components/session.js';
import { Empty, ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';
import { VerificationNotice } from '../components/verification-notice.js';
import { orderStatusLabel } from './order-status.js';

export function AccountPage() {
  const { user } = useSession();
  const [orders, setOrders] = useState<OrderSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle('Your account');

  useEffect(() => {
    listOrders().then(setOrders, (err) => setError(errorText(err)));
  }, []);

  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      {user && (
        <dl className="details">
          {user.name !== null && (
            <>
              <dt>Name</dt>
              <dd>{user.name}</dd>
            </>
          )}
          <dt>Email</dt>
          <dd>{user.email}</dd>
        </dl>
      )}
      <VerificationNotice />
      <h2>Your orders</h2>
      {error && <ErrorMessage>Your orders could not be loaded. {error}</ErrorMessage>}
      {!orders && !error && <Loading label="Loading your orders…" />}
      {orders && orders.length === 0 && (
        <Empty>
          <p>
            You have no orders yet. <Link to="/">Start shopping</Link>
          </p>
        </Empty>
      )}
      {orders && orders.length > 0 && (
        <table className="orders-table">
          <caption className="visually-hidden">Your orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Date</th>
              <th scope="col">Status</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id}>
                <th scope="row">
                  <Link to={`/account/orders/${o.id}`}>Order {o.id.slice(0, 8)}</Link>
                </th>
                <td>{new Date(o.createdAt).toLocaleDateString()}</td>
                <td>{orderStatusLabel(o.status)}</td>
                <td>{formatMoney(o.totalMinor, o.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PrivacySection />
    </section>
  );
}
