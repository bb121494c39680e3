import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { orderItems, orders, products, users } from '@shop/api/db/schema';
import { uniqueName } from '@shop/shared/test-harness';
import { eq } from 'drizzle-orm';
import { createOrderFulfilmentHandler } from '../../src/pipeline/order-fulfilment-handler.js';
import { pipelineDatabase, quietLogger, stockOf } from '../support/pipeline-harness.js';

describe('order fulfilment: stock is reserved for every line of a paid order, or for none', () => {
  it('reserves every line and ships the order when each line has the stock, and reserves nothing and ships nothing when one line is short', async (t) => {
    const { db, workerDb } = await pipelineDatabase(t);
    const [user] = await db
      .insert(users)
      .values({ passwordHash: 'x', emailBlindIndex: uniqueName('bi') })
      .returning();
    const stocked = await db
      .insert(products)
      .values(
        [5, 3, 1].map((stock) => ({
          sku: uniqueName('sku'),
          name: 'Widget',
          description: 'd',
          priceMinor: 1000,
          currency: 'EUR',
          stock,
        })),
      )
      .returning({ id: products.id });
    const [a, b, c] = stocked.map((p) => p.id) as [string, string, string];
    async function paidOrder(lines: [string, number][]): Promise<string> {
      const [order] = await db
        .insert(orders)
        .values({ userId: user?.id as string, currency: 'EUR', totalMinor: 1000, status: 'paid' })
        .returning({ id: orders.id });
      const id = order?.id as string;
      await db.insert(orderItems).values(
        lines.map(([productId, quantity]) => ({
          orderId: id,
          productId,
          name: 'Widget',
          unitPriceMinor: 1000,
          quantity,
        })),
      );
      return id;
    }
    const handler = createOrderFulfilmentHandler({ log: quietLogger() });
    const handle = (orderId: string, messageId: string) =>
      workerDb.transaction((tx) => handler.handle(tx, { messageId, topic: 'order.paid', payload: { orderId } }));
    const status = async (id: string) =>
      (await db.select({ status: orders.status }).from(orders).where(eq(orders.id, id)))[0]?.status;

    // 1. Short on its last line (2 of c wanted, 1 in stock): a and b, reservable, stay untouched.
    const short = await paidOrder([
      [a, 2],
      [b, 2],
      [c, 2],
    ]);
    assert.equal(await handle(short, randomUUID()), 'processed');
    assert.equal(await status(short), 'paid', 'left for staff, never shipped short');
    assert.deepEqual([await stockOf(db, a), await stockOf(db, b), await stockOf(db, c)], [5, 3, 1]);

    // 2. Every line in stock: each reserved once, the order ready to ship.
    const full = await paidOrder([
      [a, 2],
      [b, 3],
      [c, 1],
    ]);
    const messageId = randomUUID();
    assert.equal(await handle(full, messageId), 'processed');
    assert.equal(await status(full), 'ready_to_ship');
    assert.deepEqual([await stockOf(db, a), await stockOf(db, b), await stockOf(db, c)], [3, 0, 0]);
    // 3. Its redelivery changes nothing.
    assert.equal(await handle(full, messageId), 'duplicate');
    assert.deepEqual([await stockOf(db, a), await stockOf(db, b), await stockOf(db, c)], [3, 0, 0]);
  });
});
