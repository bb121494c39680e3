import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { orderItems, orders } from '../../db/schema/orders.js';
import { CartEmptyError, MixedCurrencyError } from '../../payments/payment-errors.js';
import type { ShopDb } from '../../pipeline/database.js';
import { loadCart } from '../cart/cart-service.js';

export interface PendingOrder {
  id: string;
  totalMinor: number;
  currency: string;
  paymentIntentId: string | null;
  checkoutRevision: number;
}

/** Orders still waiting for money: checkout reuses one instead of opening another. */
const OPEN_STATUSES = ['pending_payment', 'payment_failed'] as const;

/**
 * Prices the user's cart from the database (never from the request) and writes it into the
 * user's one open order, creating it if needed. A per-user advisory lock serialises concurrent
 * checkouts, so a double click cannot open two orders (and two PaymentIntents).
 */
export async function upsertPendingOrder(
  db: ShopDb,
  userId: string,
  shippingAddressToken: string,
): Promise<PendingOrder> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`checkout:${userId}`}, 0))`);
    const cart = await loadCart(tx, { userId, cartKey: '' });
    if (cart.items.length === 0 || cart.currency === null) throw new CartEmptyError();
    if (cart.items.some((line) => line.currency !== cart.currency)) throw new MixedCurrencyError();
    const currency = cart.currency;
    const total = cart.items.reduce((sum, line) => sum + line.unitPriceMinor * line.quantity, 0);
    const lines = cart.items.map((line) => ({
      productId: line.productId,
      name: line.name,
      unitPriceMinor: line.unitPriceMinor,
      quantity: line.quantity,
    }));

    const [open] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), inArray(orders.status, [...OPEN_STATUSES])))
      .orderBy(desc(orders.createdAt))
      .limit(1)
      .for('update');

    if (!open) {
      const [created] = await tx
        .insert(orders)
        .values({ userId, currency, totalMinor: total, shippingAddressToken })
        .returning();
      if (!created) throw new Error('order insert returned no row');
      await tx.insert(orderItems).values(lines.map((l) => ({ ...l, orderId: created.id })));
      return pick(created);
    }

    const current = await tx
      .select({
        productId: orderItems.productId,
        unitPriceMinor: orderItems.unitPriceMinor,
        quantity: orderItems.quantity,
      })
      .from(orderItems)
      .where(eq(orderItems.orderId, open.id));
    const sameLines =
      current.length === lines.length &&
      lines.every((l) =>
        current.some(
          (c) => c.productId === l.productId && c.unitPriceMinor === l.unitPriceMinor && c.quantity === l.quantity,
        ),
      );
    const unchanged = sameLines && open.totalMinor === total && open.currency === currency;
    if (!unchanged) {
      await tx.delete(orderItems).where(eq(orderItems.orderId, open.id));
      await tx.insert(orderItems).values(lines.map((l) => ({ ...l, orderId: open.id })));
    }
    const [updated] = await tx
      .update(orders)
      .set({
        totalMinor: total,
        currency,
        shippingAddressToken,
        status: 'pending_payment',
        checkoutRevision: unchanged ? open.checkoutRevision : open.checkoutRevision + 1,
      })
      .where(eq(orders.id, open.id))
      .returning();
    if (!updated) throw new Error('order update returned no row');
    return pick(updated);
  });
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
