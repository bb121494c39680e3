import type Stripe from 'stripe';
import type { CheckoutRoutesOptions } from '../routes/checkout/index.js';
import type { WebhookRoutesOptions } from '../routes/webhooks/index.js';
import type { PaymentsConfig } from './payments-config.js';
import { createStripeClient, webhookSecrets } from './stripe-client.js';

export interface PaymentsWiring {
  stripe: Stripe | null;
  checkout: CheckoutRoutesOptions;
  webhooks: WebhookRoutesOptions;
}

/** Options of the checkout and webhook route plugins, built once from the environment. */
export function paymentsWiring(config: PaymentsConfig): PaymentsWiring {
  const stripe = createStripeClient(config);
  return {
    stripe,
    checkout: { stripe, publishableKey: config.STRIPE_PUBLISHABLE_KEY },
    webhooks: { stripe, signingSecrets: webhookSecrets(config) },
  };
}
