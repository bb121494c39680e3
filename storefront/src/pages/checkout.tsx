import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client.js';
import { FORM_LIMITS } from '../api/form-limits.js';
import { type Cart, type CheckoutSession, getCart, type ShippingAddress, startCheckout } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { useSession } from '../components/session.js';
import { Empty, ErrorMessage, errorText, Loading } from '../components/status.js';
import { stripeFor } from '../components/stripe-loader.js';
import { useTitle } from '../components/use-title.js';
import { VerificationNotice } from '../components/verification-notice.js';
import { COUNTRIES } from './countries.js';

const EMPTY_ADDRESS: ShippingAddress = { name: '', line1: '', line2: '', city: '', postalCode: '', country: 'DE' };

export function CheckoutPage() {
  const [cart, setCart] = useState<Cart | null>(null);
  const [cartError, setCartError] = useState<string | null>(null);
  const [address, setAddress] = useState<ShippingAddress>(EMPTY_ADDRESS);
  const [session, setSession] = useState<CheckoutSession | null>(null);
  const [notConfigured, setNotConfigured] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { user, refresh } = useSession();
  // Checkout needs a verified email (the api answers 403 email_not_verified otherwise).
  const unverified = user !== null && !user.emailVerified;
  useTitle('Checkout');

  useEffect(() => {
    getCart().then(setCart, (err) => setCartError(errorText(err)));
    // The link may have been followed in another tab since the session was read.
    void refresh();
  }, [refresh]);

  function field(key: keyof ShippingAddress) {
    return {
      ...FORM_LIMITS.shippingAddress[key],
      value: address[key] ?? '',
      onChange: (e: { target: { value: string } }) => setAddress((a) => ({ ...a, [key]: e.target.value })),
    };
  }

  async function onAddress(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { line2, ...rest } = address;
      const next = await startCheckout(line2?.trim() ? { ...rest, line2 } : rest);
      if (!next.publishableKey) setNotConfigured(true);
      else setSession(next);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'payments_not_configured') setNotConfigured(true);
      else if (err instanceof ApiError && err.code === 'email_not_verified') await refresh();
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (cartError) return <ErrorMessage>Your cart could not be loaded. {cartError}</ErrorMessage>;
  if (!cart) return <Loading label="Loading checkout…" />;
  if (cart.items.length === 0 && !session)
    return (
      <section aria-labelledby="checkout-title">
        <h1 id="checkout-title">Checkout</h1>
        <Empty>
          <p>
            Your cart is empty. <Link to="/">Browse the catalogue</Link>
          </p>
        </Empty>
      </section>
    );

  return (
    <section aria-labelledby="checkout-title" className="checkout">
      <h1 id="checkout-title">Checkout</h1>
      <div className="checkout-grid">
        <div className="checkout-steps">
          {notConfigured && (
            <div className="status status-error" role="alert">
              <h2>Payments are not configured</h2>
              <p>
                This shop cannot take payments right now, so no order was charged. Please try again later or contact the
                shop.
              </p>
            </div>
          )}
          {!notConfigured && !session && unverified && <VerificationNotice />}
          {!notConfigured && !session && !unverified && (
            <form className="stacked" onSubmit={onAddress} aria-labelledby="shipping-title">
              <h2 id="shipping-title">1. Shipping address</h2>
              {error && <ErrorMessage>{error}</ErrorMessage>}
              <label htmlFor="ship-name">Full name</label>
              <input id="ship-name" autoComplete="shipping name" required {...field('name')} />
              <label htmlFor="ship-line1">Address</label>
              <input id="ship-line1" autoComplete="shipping address-line1" required {...field('line1')} />
              <label htmlFor="ship-line2">Address line 2 (optional)</label>
              <input id="ship-line2" autoComplete="shipping address-line2" {...field('line2')} />
              <label htmlFor="ship-city">City</label>
              <input id="ship-city" autoComplete="shipping address-level2" required {...field('city')} />
              <label htmlFor="ship-postal">Postal code</label>
              <input id="ship-postal" autoComplete="shipping postal-code" required {...field('postalCode')} />
              <label htmlFor="ship-country">Country</label>
              <select id="ship-country" autoComplete="shipping country" required {...field('country')}>
                {COUNTRIES.map(([code, name]) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
              </select>
              <button type="submit" disabled={busy}>
                {busy ? 'Preparing payment…' : 'Continue to payment'}
              </button>
            </form>
          )}
          {session?.publishableKey && (
            <>
              <section className="shipping-summary" aria-labelledby="shipping-done-title">
                <h2 id="shipping-done-title">1. Shipping address</h2>
                <p>
                  {address.name}, {address.line1}
                  {address.line2 ? `, ${address.line2}` : ''}, {address.postalCode} {address.city},{' '}
                  {COUNTRIES.find(([code]) => code === address.country)?.[1] ?? address.country}
                </p>
              </section>
              <PaymentStep session={session} publishableKey={session.publishableKey} />
            </>
          )}
        </div>
        <aside className="order-summary" aria-labelledby="summary-title">
          <h2 id="summary-title">Order summary</h2>
          <ul>
            {cart.items.map((line) => (
              <li key={line.productId}>
                <span>
                  {line.quantity} × {line.name}
                </span>
                <span>{formatMoney(line.lineTotalMinor, line.currency)}</span>
              </li>
            ))}
          </ul>
          <p className="total">
            <span>Total</span> <span>{formatMoney(cart.subtotalMinor, cart.currency ?? 'EUR')}</span>
          </p>
        </aside>
      </div>
    </section>
  );
}

function PaymentStep({ session, publishableKey }: { session: CheckoutSession; publishableKey: string }) {
  const stripe = useMemo(() => stripeFor(publishableKey), [publishableKey]);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    stripe.then(
      (s) => !s && setLoadError('The payment form could not be loaded.'),
      () => setLoadError('The payment form could not be loaded. Check your connection and reload the page.'),
    );
  }, [stripe]);
  return (
    <section aria-labelledby="payment-title">
      <h2 id="payment-title">2. Payment</h2>
      {loadError ? (
        <ErrorMessage>{loadError}</ErrorMessage>
      ) : (
        <Elements stripe={stripe} options={{ clientSecret: session.clientSecret }}>
          <PaymentForm orderId={session.orderId} />
        </Elements>
      )}
    </section>
  );
}

function PaymentForm({ orderId }: { orderId: string }) {
  const stripe = useStripe();
  const elements = useElements();
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onPay(event: FormEvent) {
    event.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setError(null);
    // The card details go from Stripe's iframe to Stripe; this page only learns the outcome.
    const returnUrl = new URL('/checkout/complete', window.location.origin);
    returnUrl.searchParams.set('order', orderId);
    const { error: failure } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: returnUrl.toString() },
    });
    // Reached only when Stripe did not redirect: a declined card or invalid details.
    setError(failure?.message ?? 'The payment did not go through. Please try again.');
    setBusy(false);
  }

  return (
    <form onSubmit={onPay} className="stacked payment-form">
      {!ready && <Loading label="Loading the secure payment form…" />}
      <PaymentElement onReady={() => setReady(true)} />
      {error && <ErrorMessage>{error}</ErrorMessage>}
      <button type="submit" disabled={!stripe || !elements || !ready || busy}>
        {busy ? 'Processing payment…' : 'Pay now'}
      </button>
    </form>
  );
}
