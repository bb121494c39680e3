import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { getOrder, type OrderDetail } from '../api/shop.js';
import { ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';
import { OrderSummary } from './order.js';
import { awaitingPayment, orderOutcome } from './order-status.js';

// Read once, before anything renders: Stripe returns here with the PaymentIntent's client
// secret in the query. It is removed from the address bar at once so it does not stay in
// history, bookmarks or any report that carries the page URL. Only the order id is kept:
// `redirect_status` and the rest are whatever the URL says, and anyone can write a URL
// (finding 8.10), so the outcome shown is the order's status in the api.
let lastOrderId: string | null | undefined;

function readReturn(): string | null {
  const url = new URL(window.location.href);
  // React may call this twice for one visit (StrictMode): the second call finds the
  // query already cleaned and reuses the first reading.
  if (lastOrderId !== undefined && !url.searchParams.has('payment_intent_client_secret')) {
    return url.searchParams.get('order') ?? lastOrderId;
  }
  const orderId = url.searchParams.get('order');
  const clean = new URL('/checkout/complete', url.origin);
  if (orderId) clean.searchParams.set('order', orderId);
  window.history.replaceState(window.history.state, '', clean.pathname + clean.search);
  lastOrderId = orderId;
  return orderId;
}

/**
 * The webhook usually lands before Stripe redirects the shopper back, but not always: while
 * the order awaits payment the page asks again, briefly (about 12 s in all), then says the
 * payment is not confirmed yet rather than guessing.
 */
export const POLL_DELAYS_MS = [500, 1000, 1500, 2000, 3000, 4000];

export function ConfirmationPage() {
  const [orderId] = useState(readReturn);
  const [order, setOrder] = useState<OrderDetail | null>(null);
  const [settled, setSettled] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTitle('Order confirmation');

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll(attempt: number) {
      if (!orderId) return;
      const current = await getOrder(orderId);
      if (cancelled) return;
      setOrder(current);
      const delay = POLL_DELAYS_MS[attempt];
      if (awaitingPayment(current.status) && delay !== undefined) {
        timer = setTimeout(() => {
          poll(attempt + 1).catch((err) => !cancelled && setError(errorText(err)));
        }, delay);
      } else {
        setSettled(true);
      }
    }
    if (!orderId) setError('This page needs an order. Your account lists your orders.');
    poll(0).catch((err) => !cancelled && setError(errorText(err)));
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [orderId]);

  const outcome = order && settled ? orderOutcome(order.status) : undefined;
  return (
    <section aria-labelledby="confirmation-title">
      <h1 id="confirmation-title">{outcome?.title ?? 'Order confirmation'}</h1>
      {!outcome && !error && <Loading label="Checking your payment…" />}
      {outcome && order && (
        <div className={`status ${outcome.ok ? 'status-ok' : 'status-error'}`} role="status" data-status={order.status}>
          <p>{outcome.text}</p>
          {outcome.retry && (
            <p>
              <Link to="/checkout">Back to checkout</Link>
            </p>
          )}
        </div>
      )}
      {error && <ErrorMessage>{error}</ErrorMessage>}
      {order && <OrderSummary order={order} />}
      <p>
        <Link to="/account">See all your orders</Link>
      </p>
    </section>
  );
}
