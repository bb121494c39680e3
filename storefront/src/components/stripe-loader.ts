import type { Stripe } from '@stripe/stripe-js';
// The pure entry point loads Stripe.js only when a payment page asks for it, never on
// other pages, and always from https://js.stripe.com (Stripe.js cannot be bundled or
// self-hosted; PCI DSS SAQ A relies on Stripe serving the card fields).
import { loadStripe } from '@stripe/stripe-js/pure';

const loaded = new Map<string, Promise<Stripe | null>>();

/** One Stripe instance per publishable key for the life of the page. */
export function stripeFor(publishableKey: string): Promise<Stripe | null> {
  let stripe = loaded.get(publishableKey);
  if (!stripe) {
    stripe = loadStripe(publishableKey);
    loaded.set(publishableKey, stripe);
  }
  return stripe;
}
