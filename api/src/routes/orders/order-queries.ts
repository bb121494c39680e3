import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type * as schema from '../../db/schema/index.js';
import { orderItems, orders } from '../../db/schema/index.js';
import type { OrderDetail, OrderSummary } from './schemas.js';

type OrdersDatabase = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/**
 * Every query here filters on the caller's user id in SQL: the ownership check is part of
 * the lookup itself, so an order id alone (guessed, leaked, or enumerated) reaches nothing
 * (ASVS 4.2.1 / OWASP API1 broken object level authorisation).
 */
export async function listOrders(
  db: OrdersDatabase,
  userId: string,
  page: { limit: number; offset: number },
): Promise<{ items: OrderSummary[]; total: number }> {
  const itemCount = sql<number>`(select coalesce(sum(${orderItems.quantity}), 0) from ${orderItems} where ${orderItems.orderId} = ${orders.id})`;
  const [rows, [counted]] = await Promise.all([
    db
      .select({
        id: orders.id,
        status: orders.status,
        totalMinor: orders.totalMinor,
        currency: orders.currency,
        itemCount: itemCount.mapWith(Number),
        createdAt: orders.createdAt,
      })
      .from(orders)
      .where(eq(orders.userId, userId))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(page.limit)
      .offset(page.offset),
    db
      .select({ total: sql<number>`count(*)`.mapWith(Number) })
      .from(orders)
      .where(eq(orders.userId, userId)),
  ]);
  return {
    items: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    total: counted?.total ?? 0,
  };
}

/** The caller's order, or undefined when it does not exist or belongs to someone else. */
export async function findOrder(db: OrdersDatabase, userId: string, orderId: string): Promise<OrderDetail | undefined> {
  const [order] = await db
    .select({
      id: orders.id,
      status: orders.status,
      totalMinor: orders.totalMinor,
      refundedMinor: orders.refundedMinor,
      currency: orders.currency,
      createdAt: orders.createdAt,
      paidAt: orders.paidAt,
      cardBrand: orders.cardBrand,
      cardLast4: orders.cardLast4,
    })
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.userId, userId)));
  if (!order) return undefined;
  const lines = await db
    .select({
      productId: orderItems.productId,
      name: orderItems.name,
      unitPriceMinor: orderItems.unitPriceMinor,
      quantity: orderItems.quantity,
    })
    .from(orderItems)
    .where(eq(orderItems.orderId, order.id))
    .orderBy(asc(orderItems.name), asc(orderItems.productId));
  return {
    ...order,
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    items: lines.map((l) => ({ ...l, lineTotalMinor: l.unitPriceMinor * l.quantity })),
  };
}
