import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { valueContainsCardNumber } from '@shop/shared/card-numbers';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import {
  CardDataRefusedError,
  PaymentsNotConfiguredError,
  publicCode,
  TokenizerUnavailableError,
} from '../../errors.js';
import { checkoutOrder } from './pending-order.js';
import { checkoutRouteSchema } from './schemas.js';

export interface CheckoutRoutesOptions {
  /** Null when STRIPE_SECRET_KEY is unset: checkout answers 503 `payments_not_configured`. */
  stripe: Stripe | null;
  publishableKey: string | undefined;
  /** Per-route limit; defaults to the platform's strict checkout bucket. */
  rateLimit?: { max: number; timeWindow: string | number };
}

/**
 * Refuses card data before anything else looks at the body (PCI DSS v4.0.1 3.2, 4.2: card
 * numbers are typed into Stripe's fields and never reach us). Runs before schema validation so
 * a PAN in an unknown field is refused as card data, and the log line names the code only.
 */
async function refuseCardData(request: FastifyRequest): Promise<void> {
  if (valueContainsCardNumber(request.body)) {
    const refused = new CardDataRefusedError();
    request.log.warn(
      { code: publicCode(refused), route: request.routeOptions.url },
      'request carried a card-like number',
    );
    throw refused;
  }
}

/** POST /api/checkout: prices the cart server-side and returns the PaymentIntent's client secret. */
export default async function checkoutRoutes(fastify: FastifyInstance, opts: CheckoutRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const rateLimit = opts.rateLimit ?? app.rateLimits?.checkout;

  app.post(
    '/api/checkout',
    {
      schema: checkoutRouteSchema,
      preValidation: refuseCardData,
      // Signed in, with an email proven through the mailed link (issue: account lifecycle).
      preHandler: app.requireVerifiedEmail,
      ...(rateLimit ? { config: { rateLimit } } : {}),
    },
    async (request) => {
      const { stripe, publishableKey } = opts;
      if (!stripe || !publishableKey) throw new PaymentsNotConfiguredError();
      const userId = request.userId;
      if (!userId) throw new Error('requireUser let an anonymous request through');
      if (!app.pii) throw new TokenizerUnavailableError();

      const { name, line1, line2, city, postalCode, country } = request.body.shippingAddress;
      let token: string | undefined;
      try {
        [token] = await app.pii.tokenize(userId, [
          {
            field: 'shipping_address',
            value: JSON.stringify({ name, line1, line2: line2 ?? '', city, postalCode, country }),
          },
        ]);
      } catch (err) {
        request.log.warn({ err }, 'tokenizer refused or unreachable at checkout');
        throw new TokenizerUnavailableError();
      }
      if (!token) throw new TokenizerUnavailableError();

      const { order, clientSecret } = await checkoutOrder(app.db, stripe, userId, token);
      request.log.info(
        { orderId: order.id, amountMinor: order.totalMinor, currency: order.currency },
        'checkout opened',
      );
      return { orderId: order.id, clientSecret, publishableKey };
    },
  );
}
