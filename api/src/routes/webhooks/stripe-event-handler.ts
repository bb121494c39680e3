import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Database, DatabaseTx } from '../../db/client.js';
import { cartItems, carts } from '../../db/schema/cart.js';
import { orderItems, orders, type paymentReviewReason, paymentReviews } from '../../db/schema/orders.js';
import { stripeEvents } from '../../db/schema/pipeline.js';
import { PaymentsUnavailableError } from '../../errors.js';
import { isResourceMissing, paymentsErrorFrom, summariseStripeError } from '../../payments/stripe-errors.js';
import {
  cardOf,
  checkDispute,
  checkPaymentIntent,
  checkRefundedCharge,
  identifiersOf,
  type StripePaymentIntent,
  UUID,
} from '../../payments/stripe-objects.js';
import { writeOutbox } from '../../pipeline/outbox.js';

/**
 * What happened to an event: a state change, a payment recorded for staff review, nothing
 * (stale, unknown type, already settled), or a repeat.
 */
export type EventOutcome = 'applied' | 'flagged' | 'ignored' | 'duplicate';

/** The event types this shop acts on; every other type is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const;

const OPEN_STATUSES = ['pending_payment', 'payment_failed'] as const;
const INTENT_ID = /^pi_[A-Za-z0-9_]{1,250}$/;

type ReviewReason = (typeof paymentReviewReason.enumValues)[number];

/** The PaymentIntent as Stripe reports it now, or why there is none to act on. */
type IntentLookup =
  | { kind: 'found'; intent: StripePaymentIntent }
  | { kind: 'missing'; intentId: string }
  | { kind: 'invalid'; field: string; intentId: string | null; orderId: string | null };

interface Ctx {
  tx: DatabaseTx;
  eventId: string;
  log: Pick<Logger, 'info' | 'warn'>;
}

/** Event types whose PaymentIntent is fetched again from Stripe before anything changes. */
const INTENT_EVENT_TYPES = new Set(['payment_intent.succeeded', 'payment_intent.payment_failed']);

/**
 * Events arrive late, out of order and more than once, so the intent is fetched again from
 * Stripe: its current status, amounts and metadata decide, not the event's snapshot. Called
 * before the transaction opens, so no connection or row lock is held while Stripe answers;
 * the status guards of each update keep a fetch that has become stale from undoing anything.
 * What Stripe answers is checked against its schema here, at the boundary (finding 8.7).
 */
async function currentIntent(
  stripe: Stripe | null,
  object: Record<string, unknown>,
  log: Ctx['log'],
): Promise<IntentLookup> {
  const id = object.id;
  if (typeof id !== 'string' || !INTENT_ID.test(id)) {
    return { kind: 'invalid', field: '/data/object/id', intentId: null, orderId: identifiersOf(object).orderId };
  }
  // Not recorded as seen: nothing is written and Stripe retries the event later.
  if (!stripe) throw new PaymentsUnavailableError();
  let raw: unknown;
  try {
    raw = await stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] });
  } catch (err) {
    // Stripe's definite "no such intent" is an answer, not an outage: retrying cannot change it.
    if (isResourceMissing(err)) return { kind: 'missing', intentId: id };
    log.warn({ stripeError: summariseStripeError(err) }, 'stripe refused or failed the intent lookup');
    throw paymentsErrorFrom(err);
  }
  const checked = checkPaymentIntent(raw);
  if (!checked.ok) return { kind: 'invalid', field: checked.field, ...identifiersOf(raw) };
  if (checked.value.id !== id) return { kind: 'invalid', field: '/id', intentId: id, orderId: null };
  return { kind: 'found', intent: checked.value };
}

/**
 * A payment staff must look at, recorded in the transaction that acknowledges the event: no
 * retry can fix it, so Stripe is not made to retry (finding 8.7). The detail holds amounts,
 * currency codes and a field path, never a value that failed its schema.
 */
async function flag(
  ctx: Ctx,
  reason: ReviewReason,
  refs: { orderId?: string | null; paymentIntentId?: string | null; detail?: Record<string, string | number | null> },
): Promise<EventOutcome> {
  await ctx.tx.insert(paymentReviews).values({
    reason,
    eventId: ctx.eventId,
    orderId: refs.orderId ?? null,
    paymentIntentId: refs.paymentIntentId ?? null,
    detail: refs.detail ?? {},
  });
  ctx.log.warn(
    { code: `payment_review_${reason}`, orderId: refs.orderId ?? null, eventId: ctx.eventId },
    'payment flagged for staff review',
  );
  return 'flagged';
}

/** Takes an order out of checkout and fulfilment until staff decide. */
async function holdForReview(ctx: Ctx, orderId: string): Promise<void> {
  await ctx.tx
    .update(orders)
    .set({ status: 'payment_review' })
    .where(and(eq(orders.id, orderId), inArray(orders.status, [...OPEN_STATUSES])));
}

async function lockOrder(ctx: Ctx, orderId: string | null | undefined, intentId: string | null) {
  if (typeof orderId !== 'string' || !UUID.test(orderId) || !intentId) return undefined;
  const [order] = await ctx.tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  // The intent must be the one checkout opened for this order, not merely name it.
  return order && order.paymentIntentId === intentId ? order : undefined;
}

async function onUnusable(ctx: Ctx, lookup: Exclude<IntentLookup, { kind: 'found' }>, paid: boolean) {
  if (lookup.kind === 'missing') return flag(ctx, 'payment_intent_missing', { paymentIntentId: lookup.intentId });
  const order = await lockOrder(ctx, lookup.orderId, lookup.intentId);
  // Money may have moved on data we cannot read: never fulfilled until staff looked.
  if (order && paid) await holdForReview(ctx, order.id);
  return flag(ctx, 'unexpected_stripe_data', {
    orderId: order?.id ?? null,
    paymentIntentId: lookup.intentId,
    detail: { field: lookup.field },
  });
}

/**
 * Takes what an order paid for out of its shopper's cart, in the transaction that marks it
 * paid: left there, the next checkout would bill those lines again. Only the paid quantities
 * go; what the shopper added after checking out (another product, or more of one) stays.
 */
async function removePaidLines(ctx: Ctx, orderId: string, userId: string): Promise<void> {
  // Finding the cart and marking it changed is one statement (the same now() as before: the
  // transaction's). Its row lock comes first: every cart change takes that lock before it
  // touches a line (routes/cart/cart-service.ts), so the next statement reads lines no one
  // else is changing, and may delete and decrement them at once (disjoint rows: a paid
  // quantity at least the line's goes, a smaller one is subtracted).
  const [cart] = await ctx.tx
    .update(carts)
    .set({ updatedAt: sql`now()` })
    .where(eq(carts.userId, userId))
    .returning({ id: carts.id });
  if (!cart) return;
  await ctx.tx.execute(sql`
    with gone as (
      delete from ${cartItems} c using ${orderItems} o
      where c.cart_id = ${cart.id} and o.order_id = ${orderId}
        and o.product_id = c.product_id and c.quantity <= o.quantity
    )
    update ${cartItems} c set quantity = c.quantity - o.quantity from ${orderItems} o
    where c.cart_id = ${cart.id} and o.order_id = ${orderId}
      and o.product_id = c.product_id and c.quantity > o.quantity`);
}

/**
 * The usual case in one statement: the order this intent was opened for, still open, whose
 * total and currency are what the intent received, is marked paid and its row locked. No row
 * means one of those did not hold; the caller then locks and reads the order to say which.
 * The status, amount and currency guards are re-checked on the row's latest version if a
 * concurrent transaction changed it, as the lock-then-update path would see it.
 */
async function payIfMatching(ctx: Ctx, intent: StripePaymentIntent) {
  const orderId = intent.metadata.order_id;
  if (typeof orderId !== 'string' || !UUID.test(orderId)) return undefined;
  const card = cardOf(intent);
  const [paid] = await ctx.tx
    .update(orders)
    .set({ status: 'paid', paidAt: sql`now()`, cardBrand: card?.brand ?? null, cardLast4: card?.last4 ?? null })
    .where(
      and(
        eq(orders.id, orderId),
        eq(orders.paymentIntentId, intent.id),
        inArray(orders.status, [...OPEN_STATUSES]),
        eq(orders.totalMinor, intent.amount_received),
        sql`lower(${orders.currency}) = ${intent.currency}`,
      ),
    )
    .returning({ id: orders.id, userId: orders.userId, totalMinor: orders.totalMinor, currency: orders.currency });
  return paid;
}

async function recordPaid(
  ctx: Ctx,
  order: { id: string; userId: string; totalMinor: number; currency: string },
): Promise<EventOutcome> {
  await removePaidLines(ctx, order.id, order.userId);
  await writeOutbox(ctx.tx, 'order.paid', {
    orderId: order.id,
    amountMinor: order.totalMinor,
    currency: order.currency,
  });
  ctx.log.info({ orderId: order.id }, 'order paid');
  return 'applied';
}

async function onSucceeded(ctx: Ctx, lookup: IntentLookup): Promise<EventOutcome> {
  if (lookup.kind !== 'found') return onUnusable(ctx, lookup, true);
  const { intent } = lookup;
  if (intent.status !== 'succeeded') return 'ignored';
  const paid = await payIfMatching(ctx, intent);
  if (paid) return recordPaid(ctx, paid);
  const order = await lockOrder(ctx, intent.metadata.order_id, intent.id);
  if (!order) {
    return flag(ctx, 'unknown_order', {
      paymentIntentId: intent.id,
      detail: { receivedMinor: intent.amount_received, receivedCurrency: intent.currency },
    });
  }
  if (!(OPEN_STATUSES as readonly string[]).includes(order.status)) return 'ignored';
  const expectedCurrency = order.currency.toLowerCase();
  // Paid means the money received, in the order's currency, is the order's total (finding
  // 8.2): `amount` is only what was asked for, and a partial capture receives less.
  if (intent.amount_received !== order.totalMinor || intent.currency !== expectedCurrency) {
    await holdForReview(ctx, order.id);
    return flag(ctx, intent.currency !== expectedCurrency ? 'currency_mismatch' : 'amount_mismatch', {
      orderId: order.id,
      paymentIntentId: intent.id,
      detail: {
        expectedMinor: order.totalMinor,
        expectedCurrency,
        receivedMinor: intent.amount_received,
        receivedCurrency: intent.currency,
      },
    });
  }
  const card = cardOf(intent);
  const changed = await ctx.tx
    .update(orders)
    .set({
      status: 'paid',
      paidAt: sql`now()`,
      cardBrand: card?.brand ?? null,
      cardLast4: card?.last4 ?? null,
    })
    .where(and(eq(orders.id, order.id), inArray(orders.status, [...OPEN_STATUSES])))
    .returning({ id: orders.id });
  if (changed.length === 0) return 'ignored';
  return recordPaid(ctx, order);
}

async function onFailed(ctx: Ctx, lookup: IntentLookup): Promise<EventOutcome> {
  if (lookup.kind !== 'found') return onUnusable(ctx, lookup, false);
  const { intent } = lookup;
  // A later attempt may already have succeeded: the stale failure must not undo it.
  if (intent.status === 'succeeded' || intent.status === 'processing') return 'ignored';
  const orderId = intent.metadata.order_id;
  if (typeof orderId !== 'string' || !UUID.test(orderId)) return 'ignored';
  // Lock and change in one statement: only the order this intent was opened for, still pending.
  const [order] = await ctx.tx
    .update(orders)
    .set({ status: 'payment_failed' })
    .where(and(eq(orders.id, orderId), eq(orders.paymentIntentId, intent.id), eq(orders.status, 'pending_payment')))
    .returning({ id: orders.id });
  if (!order) return 'ignored';
  await writeOutbox(ctx.tx, 'order.payment_failed', { orderId: order.id });
  return 'applied';
}

function idOf(value: unknown): unknown {
  if (value && typeof value === 'object') return (value as { id?: unknown }).id;
  return value;
}

async function onRefunded(ctx: Ctx, object: Record<string, unknown>): Promise<EventOutcome> {
  const checked = checkRefundedCharge({
    payment_intent: idOf(object.payment_intent),
    amount_refunded: object.amount_refunded,
  });
  if (!checked.ok) return flag(ctx, 'unexpected_stripe_data', { detail: { field: checked.field } });
  const { payment_intent: intentId, amount_refunded: refunded } = checked.value;
  const [order] = await ctx.tx.select().from(orders).where(eq(orders.paymentIntentId, intentId)).for('update');
  if (!order || !['paid', 'ready_to_ship', 'shipped', 'refunded', 'payment_review'].includes(order.status)) {
    return 'ignored';
  }
  // `amount_refunded` is cumulative: an older event arriving late can only lower it, never apply.
  if (refunded <= order.refundedMinor || refunded > order.totalMinor) return 'ignored';
  const full = refunded === order.totalMinor;
  await ctx.tx
    .update(orders)
    .set({ refundedMinor: refunded, ...(full ? { status: 'refunded' as const } : {}) })
    .where(eq(orders.id, order.id));
  await writeOutbox(ctx.tx, 'order.refunded', { orderId: order.id, refundedMinor: refunded, full });
  return 'applied';
}

async function onDispute(ctx: Ctx, object: Record<string, unknown>): Promise<EventOutcome> {
  const checked = checkDispute({ payment_intent: idOf(object.payment_intent) });
  if (!checked.ok) return flag(ctx, 'unexpected_stripe_data', { detail: { field: checked.field } });
  const changed = await ctx.tx
    .update(orders)
    .set({ disputed: true })
    .where(and(eq(orders.paymentIntentId, checked.value.payment_intent), eq(orders.disputed, false)))
    .returning({ id: orders.id });
  const [order] = changed;
  if (!order) return 'ignored';
  await writeOutbox(ctx.tx, 'order.disputed', { orderId: order.id });
  ctx.log.warn({ orderId: order.id }, 'order disputed: flagged for staff');
  return 'applied';
}

/**
 * Applies one verified event exactly once: its id is recorded in the same transaction as the
 * state change, the outbox row or the review row. A concurrent duplicate waits on the id's
 * primary key and then finds it taken; a failed attempt rolls back the id too, so Stripe's
 * retry is processed.
 */
export async function applyStripeEvent(
  db: Database,
  stripe: Stripe | null,
  event: { id: string; type: string; data: { object: Record<string, unknown> } },
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<EventOutcome> {
  let lookup: IntentLookup | undefined;
  if (INTENT_EVENT_TYPES.has(event.type)) {
    // A repeat of an event already applied costs no call to Stripe.
    const [seen] = await db
      .select({ eventId: stripeEvents.eventId })
      .from(stripeEvents)
      .where(eq(stripeEvents.eventId, event.id));
    if (seen) return 'duplicate';
    lookup = await currentIntent(stripe, event.data.object, log);
  }
  return db.transaction(async (tx) => {
    const first = await tx
      .insert(stripeEvents)
      .values({ eventId: event.id, type: event.type })
      .onConflictDoNothing()
      .returning({ eventId: stripeEvents.eventId });
    if (first.length === 0) return 'duplicate';
    const ctx: Ctx = { tx, eventId: event.id, log };
    const object = event.data.object;
    switch (event.type) {
      case 'payment_intent.succeeded':
        return lookup ? onSucceeded(ctx, lookup) : 'ignored';
      case 'payment_intent.payment_failed':
        return lookup ? onFailed(ctx, lookup) : 'ignored';
      case 'charge.refunded':
        return onRefunded(ctx, object);
      case 'charge.dispute.created':
        return onDispute(ctx, object);
      default:
        return 'ignored';
    }
  });
}
