import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { getOrder, type OrderDetail } from '../api/shop.js';
import { ErrorMessage, errorText, Loading } from '../components/status.js';
import { stripeFor } from '../components/stripe-loader.js';
import { useTitle } from '../components/use-title.js';
import { OrderSummary } from './order.js';

interface Outcome {
  status: string;
  orderId: string | null;
}

// Read once, before anything renders: Stripe returns here with the PaymentIntent's client
// secret in the query. It is removed from the address bar at once so it does not stay in
// history, bookmarks or any report that carries the page URL.
interface ReturnParams {
  orderId: string | null;
  pk: string | null;
  secret: string | null;
  redirect: string | null;
}
let lastReturn: ReturnParams | undefined;

function readReturn(): ReturnParams {
  const url = new URL(window.location.href);
  // React may call this twice for one visit (StrictMode): the second call finds the
  // query already cleaned and reuses the first reading.
  if (lastReturn && !url.searchParams.has('payment_intent_client_secret')) return lastReturn;
  const p = url.searchParams;
  const found = {
    orderId: p.get('order'),
    pk: p.get('pk'),
    secret: p.get('payment_intent_client_secret'),
    redirect: p.get('redirect_status'),
  };
  const clean = new URL('/checkout/complete', url.origin);
  if (found.orderId) clean.searchParams.set('order', found.orderId);
  window.history.replaceState(window.history.state, '', clean.pathname + clean.search);
  lastReturn = found;
  return found;
}

const MESSAGES: Record<string, { title: string; text: string; ok: boolean }> = {
  succeeded: { title: 'Thank you, your payment was received', text: 'We are preparing your order.', ok: true },
  processing: {
    title: 'Your payment is processing',
    text: 'We will update your order as soon as the payment is confirmed.',
    ok: true,
  },
  requires_payment_method: {
    title: 'The payment did not go through',
    text: 'No money was taken. Please try again with another payment method.',
    ok: false,
  },
  requires_action: { title: 'The payment needs another step', text: 'Please try again.', ok: false },
  canceled: { title: 'The payment was cancelled', text: 'No money was taken.', ok: false },
};

export function ConfirmationPage() {
  const [input] = useState(readReturn);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [order, setOrder] = useState<OrderDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle('Order confirmation');

  useEffect(() => {
    let cancelled = false;
    async function run() {
      let status = input.redirect ?? 'unknown';
      if (input.pk && input.secret) {
        const stripe = await stripeFor(input.pk);
        const result = await stripe?.retrievePaymentIntent(input.secret);
        if (result?.paymentIntent) status = result.paymentIntent.status;
      }
      if (!cancelled) setOutcome({ status, orderId: input.orderId });
      if (input.orderId) {
        const o = await getOrder(input.orderId);
        if (!cancelled) setOrder(o);
      }
    }
    run().catch((err) => !cancelled && setError(errorText(err)));
    return () => {
      cancelled = true;
    };
  }, [input]);

  const message = outcome ? MESSAGES[outcome.status] : undefined;
  return (
    <section aria-labelledby="confirmation-title">
      <h1 id="confirmation-title">{message?.title ?? 'Order confirmation'}</h1>
      {!outcome && !error && <Loading label="Checking your payment…" />}
      {outcome && (
        <div
          className={`status ${message?.ok ? 'status-ok' : 'status-error'}`}
          role="status"
          data-status={outcome.status}
        >
          <p>{message?.text ?? 'We could not determine the payment status. Your order page shows the latest state.'}</p>
          {message && !message.ok && (
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
