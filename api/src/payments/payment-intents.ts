import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import { orders } from '../db/schema/orders.js';
import type { ShopDb } from '../pipeline/database.js';
import { CheckoutInProgressError, PaymentsUnavailableError } from './payment-errors.js';

export interface OrderToPay {
  id: string;
  totalMinor: number;
  currency: string;
  paymentIntentId: string | null;
  checkoutRevision: number;
}

/**
 * One PaymentIntent per order. Idempotency keys derive from the order (and its revision for an
 * update), so a retried or concurrent checkout replays Stripe's first answer instead of opening
 * a second intent. Metadata is the order id only: nothing personal leaves for Stripe.
 */
export async function openPaymentIntent(db: ShopDb, stripe: Stripe, order: OrderToPay): Promise<Stripe.PaymentIntent> {
  const amount = order.totalMinor;
  const currency = order.currency.toLowerCase();
  try {
    if (!order.paymentIntentId) {
      const intent = await stripe.paymentIntents.create(
        { amount, currency, automatic_payment_methods: { enabled: true }, metadata: { order_id: order.id } },
        { idempotencyKey: `order-${order.id}-create` },
      );
      await db
        .update(orders)
        .set({ paymentIntentId: intent.id })
        .where(and(eq(orders.id, order.id), isNull(orders.paymentIntentId)));
      return intent;
    }
    return await stripe.paymentIntents.update(
      order.paymentIntentId,
      { amount, currency },
      { idempotencyKey: `order-${order.id}-rev-${order.checkoutRevision}` },
    );
  } catch (err) {
    const type = (err as { type?: string }).type;
    // Reused key with other parameters, or an intent already processing/paid: the order is
    // moving under us; the shopper retries once the webhook has settled it.
    if (type === 'StripeIdempotencyError' || type === 'StripeInvalidRequestError') throw new CheckoutInProgressError();
    throw new PaymentsUnavailableError();
  }
}
