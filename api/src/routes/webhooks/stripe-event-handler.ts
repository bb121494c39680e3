import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import { orders } from '../../db/schema/orders.js';
import { stripeEvents } from '../../db/schema/pipeline.js';
import { PaymentsUnavailableError } from '../../payments/payment-errors.js';
import type { ShopDb, ShopTx } from '../../pipeline/database.js';
import { writeOutbox } from '../../pipeline/outbox.js';

/** What happened to an event: a state change, nothing (stale, unknown, mismatched), or a repeat. */
export type EventOutcome = 'applied' | 'ignored' | 'duplicate';

/** The event types this shop acts on; every other type is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Ctx {
  tx: ShopTx;
  /** The PaymentIntent as Stripe reports it now (payment_intent.* events), fetched before the transaction. */
  intent: Stripe.PaymentIntent | undefined;
  log: Pick<Logger, 'info' | 'warn'>;
}

/** Event types whose PaymentIntent is fetched again from Stripe before anything changes. */
const INTENT_EVENT_TYPES = new Set(['payment_intent.succeeded', 'payment_intent.payment_failed']);

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return null;
}

/**
 * Events arrive late, out of order and more than once, so the intent is fetched again from
 * Stripe: its current status, amount and metadata decide, not the event's snapshot. Called
 * before the transaction opens, so no connection or row lock is held while Stripe answers;
 * the status guards of each update keep a fetch that has become stale from undoing anything.
 */
async function currentIntent(stripe: Stripe | null, id: string): Promise<Stripe.PaymentIntent> {
  if (!stripe) throw new PaymentsUnavailableError();
  try {
    return await stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] });
  } catch {
    // Not recorded as seen: nothing is written and Stripe retries the event later.
    throw new PaymentsUnavailableError();
  }
}

async function lockOrderOfIntent(ctx: Ctx, intent: Stripe.PaymentIntent) {
  const orderId = intent.metadata?.order_id;
  if (typeof orderId !== 'string' || !UUID.test(orderId)) return undefined;
  const [order] = await ctx.tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  // The intent must be the one checkout opened for this order, not merely name it.
  return order && order.paymentIntentId === intent.id ? order : undefined;
}

async function onSucceeded(ctx: Ctx): Promise<EventOutcome> {
  const { intent } = ctx;
  if (!intent) return 'ignored';
  if (intent.status !== 'succeeded') return 'ignored';
  const order = await lockOrderOfIntent(ctx, intent);
  if (!order) {
    ctx.log.warn({ paymentIntent: intent.id }, 'payment for an unknown order ignored');
    return 'ignored';
  }
  if (intent.amount !== order.totalMinor || intent.currency !== order.currency.toLowerCase()) {
    // Never fulfil an order for a different amount than the server priced.
    ctx.log.warn({ orderId: order.id, paymentIntent: intent.id }, 'paid amount does not match the order, ignored');
    return 'ignored';
  }
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  const card = charge?.payment_method_details?.card;
  const changed = await ctx.tx
    .update(orders)
    .set({
      status: 'paid',
      paidAt: sql`now()`,
      cardBrand: card?.brand ?? null,
      cardLast4: card?.last4 ?? null,
    })
    .where(and(eq(orders.id, order.id), inArray(orders.status, ['pending_payment', 'payment_failed'])))
    .returning({ id: orders.id });
  if (changed.length === 0) return 'ignored';
  await writeOutbox(ctx.tx, 'order.paid', {
    orderId: order.id,
    amountMinor: order.totalMinor,
    currency: order.currency,
  });
  ctx.log.info({ orderId: order.id }, 'order paid');
  return 'applied';
}

async function onFailed(ctx: Ctx): Promise<EventOutcome> {
  const { intent } = ctx;
  if (!intent) return 'ignored';
  // A later attempt may already have succeeded: the stale failure must not undo it.
  if (intent.status === 'succeeded' || intent.status === 'processing') return 'ignored';
  const order = await lockOrderOfIntent(ctx, intent);
  if (!order) return 'ignored';
  const changed = await ctx.tx
    .update(orders)
    .set({ status: 'payment_failed' })
    .where(and(eq(orders.id, order.id), eq(orders.status, 'pending_payment')))
    .returning({ id: orders.id });
  if (changed.length === 0) return 'ignored';
  await writeOutbox(ctx.tx, 'order.payment_failed', { orderId: order.id });
  return 'applied';
}

async function onRefunded(ctx: Ctx, object: Record<string, unknown>): Promise<EventOutcome> {
  const intentId = idOf(object.payment_intent);
  const refunded = object.amount_refunded;
  if (!intentId || typeof refunded !== 'number' || !Number.isSafeInteger(refunded) || refunded < 0) return 'ignored';
  const [order] = await ctx.tx.select().from(orders).where(eq(orders.paymentIntentId, intentId)).for('update');
  if (!order || !['paid', 'ready_to_ship', 'shipped', 'refunded'].includes(order.status)) return 'ignored';
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
  const intentId = idOf(object.payment_intent);
  if (!intentId) return 'ignored';
  const changed = await ctx.tx
    .update(orders)
    .set({ disputed: true })
    .where(and(eq(orders.paymentIntentId, intentId), eq(orders.disputed, false)))
    .returning({ id: orders.id });
  const [order] = changed;
  if (!order) return 'ignored';
  await writeOutbox(ctx.tx, 'order.disputed', { orderId: order.id });
  ctx.log.warn({ orderId: order.id }, 'order disputed: flagged for staff');
  return 'applied';
}

/**
 * Applies one verified event exactly once: its id is recorded in the same transaction as the
 * state change and the outbox row. A concurrent duplicate waits on the id's primary key and
 * then finds it taken; a failed attempt rolls back the id too, so Stripe's retry is processed.
 */
export async function applyStripeEvent(
  db: ShopDb,
  stripe: Stripe | null,
  event: { id: string; type: string; data: { object: Record<string, unknown> } },
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<EventOutcome> {
  const intentId = INTENT_EVENT_TYPES.has(event.type) ? idOf(event.data.object) : null;
  let intent: Stripe.PaymentIntent | undefined;
  if (intentId) {
    // A repeat of an event already applied costs no call to Stripe.
    const [seen] = await db
      .select({ eventId: stripeEvents.eventId })
      .from(stripeEvents)
      .where(eq(stripeEvents.eventId, event.id));
    if (seen) return 'duplicate';
    intent = await currentIntent(stripe, intentId);
  }
  return db.transaction(async (tx) => {
    const first = await tx
      .insert(stripeEvents)
      .values({ eventId: event.id, type: event.type })
      .onConflictDoNothing()
      .returning({ eventId: stripeEvents.eventId });
    if (first.length === 0) return 'duplicate';
    const ctx: Ctx = { tx, intent, log };
    const object = event.data.object;
    switch (event.type) {
      case 'payment_intent.succeeded':
        return onSucceeded(ctx);
      case 'payment_intent.payment_failed':
        return onFailed(ctx);
      case 'charge.refunded':
        return onRefunded(ctx, object);
      case 'charge.dispute.created':
        return onDispute(ctx, object);
      default:
        return 'ignored';
    }
  });
}
