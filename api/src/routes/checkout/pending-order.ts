import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Database, DatabaseTx } from '../../db/client.js';
import { orderItems, orders } from '../../db/schema/orders.js';
import { CartCurrencyMismatchError, CartEmptyError, CheckoutInProgressError } from '../../errors.js';
import { createOrderIntent, type IntentUpdate, updateOrderIntent } from '../../payments/payment-intents.js';
import { loadCart } from '../cart/cart-service.js';

export interface PendingOrder {
  id: string;
  totalMinor: number;
  currency: string;
  paymentIntentId: string | null;
  checkoutRevision: number;
}

export interface CheckoutResult {
  order: PendingOrder;
  clientSecret: string;
}

/** Orders still waiting for money: checkout reuses one instead of opening another. */
const OPEN_STATUSES = ['pending_payment', 'payment_failed'] as const;

interface PricedCart {
  currency: string;
  total: number;
  lines: { productId: string; name: string; unitPriceMinor: number; quantity: number }[];
}

/** Prices the user's cart from the database, never from the request. */
async function priceCart(tx: DatabaseTx, userId: string): Promise<PricedCart> {
  const cart = await loadCart(tx, { userId, cartKey: '' });
  if (cart.items.length === 0 || cart.currency === null) throw new CartEmptyError();
  if (cart.items.some((line) => line.currency !== cart.currency)) throw new CartCurrencyMismatchError();
  return {
    currency: cart.currency,
    total: cart.items.reduce((sum, line) => sum + line.unitPriceMinor * line.quantity, 0),
    lines: cart.items.map((line) => ({
      productId: line.productId,
      name: line.name,
      unitPriceMinor: line.unitPriceMinor,
      quantity: line.quantity,
    })),
  };
}

async function sameLines(tx: DatabaseTx, order: typeof orders.$inferSelect, cart: PricedCart): Promise<boolean> {
  if (order.totalMinor !== cart.total || order.currency !== cart.currency) return false;
  const current = await tx
    .select({
      productId: orderItems.productId,
      unitPriceMinor: orderItems.unitPriceMinor,
      quantity: orderItems.quantity,
    })
    .from(orderItems)
    .where(eq(orderItems.orderId, order.id));
  return (
    current.length === cart.lines.length &&
    cart.lines.every((l) =>
      current.some(
        (c) => c.productId === l.productId && c.unitPriceMinor === l.unitPriceMinor && c.quantity === l.quantity,
      ),
    )
  );
}

/**
 * Checkout: the user's cart becomes their one open order, with a PaymentIntent for exactly its
 * total. Runs in one transaction under a per-user advisory lock (a double click cannot open two
 * orders or two intents) holding the order's row lock, and Stripe is asked BEFORE the order's
 * new lines commit (finding 8.1): a change Stripe refuses leaves the order as it was, so the
 * intent's amount and the order's total cannot drift apart, and the webhook (which locks the
 * same row) always sees the pair that Stripe charged. Once the intent is processing,
 * authorised or paid the order is frozen: a changed cart becomes a new order; the same cart
 * answers 409 `checkout_in_progress` until the payment settles.
 *
 * The price of that consistency is a pool connection held for one Stripe call per checkout,
 * bounded by the Stripe client's timeout and by the strict checkout rate limit.
 */
export async function checkoutOrder(
  db: Database,
  stripe: Stripe,
  userId: string,
  shippingAddressToken: string,
): Promise<CheckoutResult> {
  // A create that failed leaves its order committed without an intent: the retry then reuses
  // the order and the same idempotency key, so a lost response cannot open a second intent.
  let failure: unknown;
  const result = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`checkout:${userId}`}, 0))`);
    const cart = await priceCart(tx, userId);
    const [open] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), inArray(orders.status, [...OPEN_STATUSES])))
      .orderBy(desc(orders.createdAt))
      .limit(1)
      .for('update');

    const openNew = async (): Promise<CheckoutResult | null> => {
      const [created] = await tx
        .insert(orders)
        .values({ userId, currency: cart.currency, totalMinor: cart.total, shippingAddressToken })
        .returning();
      if (!created) throw new Error('order insert returned no row');
      await tx.insert(orderItems).values(cart.lines.map((l) => ({ ...l, orderId: created.id })));
      return attachIntent(created);
    };

    const attachIntent = async (order: typeof orders.$inferSelect): Promise<CheckoutResult | null> => {
      try {
        const intent = await createOrderIntent(stripe, order);
        await tx.update(orders).set({ paymentIntentId: intent.id }).where(eq(orders.id, order.id));
        return { order: { ...pick(order), paymentIntentId: intent.id }, clientSecret: intent.clientSecret };
      } catch (err) {
        failure = err;
        return null;
      }
    };

    if (!open) return openNew();

    const unchanged = await sameLines(tx, open, cart);
    const revision = unchanged ? open.checkoutRevision : open.checkoutRevision + 1;
    const next = { ...open, totalMinor: cart.total, currency: cart.currency, checkoutRevision: revision };

    if (!open.paymentIntentId) {
      await writeOrder(tx, next, cart, shippingAddressToken, unchanged);
      return attachIntent(next);
    }

    const update: IntentUpdate = await updateOrderIntent(stripe, open.paymentIntentId, next);
    if (update.kind === 'updated') {
      await writeOrder(tx, next, cart, shippingAddressToken, unchanged);
      return { order: pick(next), clientSecret: update.intent.clientSecret };
    }
    if (update.kind === 'gone') {
      // A cancelled or vanished intent can never be paid: its order closes and the cart moves on.
      await tx.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, open.id));
      return openNew();
    }
    // Locked: the old order stays exactly as Stripe is charging it.
    if (unchanged) throw new CheckoutInProgressError();
    return openNew();
  });
  if (failure !== undefined) throw failure;
  if (!result) throw new Error('checkout ended without an order');
  return result;
}

async function writeOrder(
  tx: DatabaseTx,
  order: typeof orders.$inferSelect,
  cart: PricedCart,
  shippingAddressToken: string,
  unchanged: boolean,
): Promise<void> {
  if (!unchanged) {
    await tx.delete(orderItems).where(eq(orderItems.orderId, order.id));
    await tx.insert(orderItems).values(cart.lines.map((l) => ({ ...l, orderId: order.id })));
  }
  await tx
    .update(orders)
    .set({
      totalMinor: cart.total,
      currency: cart.currency,
      shippingAddressToken,
      status: 'pending_payment',
      checkoutRevision: order.checkoutRevision,
    })
    .where(eq(orders.id, order.id));
}

function pick(o: typeof orders.$inferSelect): PendingOrder {
  return {
    id: o.id,
    totalMinor: o.totalMinor,
    currency: o.currency,
    paymentIntentId: o.paymentIntentId,
    checkoutRevision: o.checkoutRevision,
  };
}
