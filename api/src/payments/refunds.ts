import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Database } from '../db/client.js';
import { orders } from '../db/schema/orders.js';
import { PaymentsAnswerInvalidError, PaymentsNotConfiguredError, RefundInvalidError } from '../errors.js';
import { paymentsErrorFrom } from './stripe-errors.js';
import { checkRefund } from './stripe-objects.js';

export interface RefundRequest {
  orderId: string;
  /** Minor units; omitted: whatever is still refundable (a full refund). */
  amountMinor?: number;
  /**
   * Identifies this refund decision (e.g. the admin portal's audit entry id): the same request
   * retried after a timeout replays Stripe's first answer instead of refunding twice.
   */
  requestId: string;
}

export interface RefundResult {
  refundId: string;
  amountMinor: number;
  status: string | null;
}

// A payment under review can be refunded too: staff may send back money that did not match.
const REFUNDABLE = new Set(['paid', 'ready_to_ship', 'shipped', 'payment_review']);

/**
 * Full or partial refund through Stripe, for the admin portal. The order itself changes only
 * when Stripe's `charge.refunded` webhook arrives, so there is one source of truth for money.
 */
export async function refundOrder(db: Database, stripe: Stripe | null, request: RefundRequest): Promise<RefundResult> {
  if (!stripe) throw new PaymentsNotConfiguredError();
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(request.requestId)) throw new RefundInvalidError();
  const [order] = await db
    .select({
      id: orders.id,
      status: orders.status,
      totalMinor: orders.totalMinor,
      refundedMinor: orders.refundedMinor,
      paymentIntentId: orders.paymentIntentId,
    })
    .from(orders)
    .where(eq(orders.id, request.orderId));
  if (!order?.paymentIntentId || !REFUNDABLE.has(order.status)) throw new RefundInvalidError();
  const remaining = order.totalMinor - order.refundedMinor;
  const amount = request.amountMinor ?? remaining;
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > remaining) throw new RefundInvalidError();
  let raw: unknown;
  try {
    raw = await stripe.refunds.create(
      {
        payment_intent: order.paymentIntentId,
        amount,
        metadata: { order_id: order.id },
      },
      { idempotencyKey: `refund-${order.id}-${request.requestId}` },
    );
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'StripeInvalidRequestError' || type === 'StripeIdempotencyError') throw new RefundInvalidError();
    throw paymentsErrorFrom(err);
  }
  const refund = checkRefund(raw);
  if (!refund.ok) throw new PaymentsAnswerInvalidError();
  return { refundId: refund.value.id, amountMinor: refund.value.amount, status: refund.value.status };
}
