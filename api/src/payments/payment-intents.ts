import type Stripe from 'stripe';
import { PaymentsAnswerInvalidError } from '../errors.js';
import { isResourceMissing, isUnexpectedIntentState, paymentsErrorFrom } from './stripe-errors.js';
import { checkPaymentIntent, LOCKED_STATUSES, type StripePaymentIntent, UPDATABLE_STATUSES } from './stripe-objects.js';

export interface OrderToPay {
  id: string;
  totalMinor: number;
  currency: string;
  checkoutRevision: number;
}

/** An intent checkout can hand to the shopper: checked, with its client secret. */
export interface PayableIntent {
  id: string;
  clientSecret: string;
  status: StripePaymentIntent['status'];
}

/** What Stripe said when asked to change an order's amount. */
export type IntentUpdate =
  | { kind: 'updated'; intent: PayableIntent }
  /** Processing, authorised or paid: the order it belongs to can no longer change. */
  | { kind: 'locked' }
  /** Cancelled, or unknown to Stripe: the order can never be paid through it. */
  | { kind: 'gone' };

/**
 * Checks what Stripe answered against what was asked: an intent for another order, amount
 * or currency is as wrong as a malformed one, and is never handed to a shopper.
 */
function payable(raw: unknown, order: OrderToPay): PayableIntent {
  const checked = checkPaymentIntent(raw);
  if (!checked.ok) throw new PaymentsAnswerInvalidError();
  const intent = checked.value;
  if (
    !intent.client_secret ||
    intent.metadata.order_id !== order.id ||
    intent.amount !== order.totalMinor ||
    intent.currency !== order.currency.toLowerCase()
  ) {
    throw new PaymentsAnswerInvalidError();
  }
  return { id: intent.id, clientSecret: intent.client_secret, status: intent.status };
}

/**
 * The intent of a new order (or of one whose earlier create failed). The key names the
 * revision: a retry of the same order and lines replays Stripe's first answer (no second
 * intent when a response was lost), and lines changed since then are a new request rather
 * than a key reused with other parameters (which Stripe refuses for 24 hours). Metadata is
 * the order id only: nothing personal leaves for Stripe.
 */
export async function createOrderIntent(stripe: Stripe, order: OrderToPay): Promise<PayableIntent> {
  let raw: unknown;
  try {
    raw = await stripe.paymentIntents.create(
      {
        amount: order.totalMinor,
        currency: order.currency.toLowerCase(),
        automatic_payment_methods: { enabled: true },
        metadata: { order_id: order.id },
      },
      { idempotencyKey: `order-${order.id}-create-rev-${order.checkoutRevision}` },
    );
  } catch (err) {
    throw paymentsErrorFrom(err);
  }
  return payable(raw, order);
}

/** The intent as Stripe reports it now, checked; null when Stripe does not know it. */
async function retrieveIntent(stripe: Stripe, intentId: string): Promise<StripePaymentIntent | null> {
  let raw: unknown;
  try {
    raw = await stripe.paymentIntents.retrieve(intentId);
  } catch (err) {
    if (isResourceMissing(err)) return null;
    throw paymentsErrorFrom(err);
  }
  const checked = checkPaymentIntent(raw);
  if (!checked.ok || checked.value.id !== intentId) throw new PaymentsAnswerInvalidError();
  return checked.value;
}

/**
 * Asks Stripe to take the order's new amount, before the new lines are written (finding 8.1):
 * the caller commits them only on `updated`. Stripe refuses the change once the intent is
 * processing, authorised or paid (`payment_intent_unexpected_state`); the current status then
 * says whether the order is frozen (`locked`) or dead (`gone`). Also called for an unchanged
 * order: it re-asserts the amount (repairing one left apart by a commit that failed after
 * Stripe took it) and learns the status in the same call. Setting an amount is idempotent by
 * itself, so no order-derived key: a replayed answer would report a status that is no longer
 * true. The library adds its own key, reused across its network retries.
 */
export async function updateOrderIntent(stripe: Stripe, intentId: string, order: OrderToPay): Promise<IntentUpdate> {
  const currency = order.currency.toLowerCase();
  let raw: unknown;
  try {
    raw = await stripe.paymentIntents.update(intentId, { amount: order.totalMinor, currency });
  } catch (err) {
    if (isResourceMissing(err)) return { kind: 'gone' };
    if (!isUnexpectedIntentState(err)) throw paymentsErrorFrom(err);
    const now = await retrieveIntent(stripe, intentId);
    if (!now || now.status === 'canceled') return { kind: 'gone' };
    if (LOCKED_STATUSES.has(now.status)) return { kind: 'locked' };
    // Refused, yet updatable now (a failed attempt returned it to requires_payment_method):
    // the shopper's retry will go through.
    if (UPDATABLE_STATUSES.has(now.status)) throw paymentsErrorFrom(err);
    throw new PaymentsAnswerInvalidError();
  }
  return { kind: 'updated', intent: payable(raw, order) };
}
