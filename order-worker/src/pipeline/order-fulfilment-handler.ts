import type { DatabaseTx } from '@shop/api/db/client';
import { orderItems, orders, processedMessages, products } from '@shop/api/db/schema';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { MessageHandler } from './message-handler.js';
import { type HandleOutcome, type PipelineMessage, PoisonMessageError } from './pipeline-message.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The order-worker's handler: a paid order gets its stock reserved and becomes ready to ship.
 * Exactly-once in effect: the processed-messages row commits with the changes, so a
 * redelivery or a relay duplicate finds it and changes nothing. Its confirmation mail is the
 * mail handler's (mail/mail-handler.ts), on its own copy of the paid event: a mail relay that is
 * down never holds up fulfilment.
 */
export function createOrderFulfilmentHandler(deps: {
  log: Pick<Logger, 'info' | 'warn'>;
  consumerName?: string;
}): MessageHandler {
  const name = deps.consumerName ?? 'order-fulfilment';

  async function fulfil(tx: DatabaseTx, orderId: string, messageId: string): Promise<void> {
    const [order] = await tx
      .select({ id: orders.id, status: orders.status, userId: orders.userId })
      .from(orders)
      .where(eq(orders.id, orderId))
      .for('update');
    if (!order) {
      deps.log.warn({ orderId }, 'paid event for an unknown order ignored');
      return;
    }
    // Refunded, cancelled or already fulfilled: nothing to do (events can arrive late).
    if (order.status !== 'paid') return;
    // Every line reserved, or none: one statement reserves each line that has the stock and
    // counts the lines, instead of a savepoint, a SELECT of the lines and an UPDATE per line
    // (round trips are most of this transaction's cost). On a shortfall the lines it did
    // reserve are still locked by this transaction, and are given back before it commits.
    const { rows } = await tx.execute<{ lines: number; reserved: string[] }>(sql`
      with lines as (
        select ${orderItems.productId} as product_id, ${orderItems.quantity} as quantity
        from ${orderItems} where ${orderItems.orderId} = ${orderId}
      ), reserved as (
        update ${products} set stock = ${products.stock} - lines.quantity
        from lines where ${products.id} = lines.product_id and ${products.stock} >= lines.quantity
        returning ${products.id} as id
      )
      select (select count(*) from lines)::int as lines, array(select id::text from reserved) as reserved`);
    const result = rows[0];
    if (!result || result.reserved.length !== result.lines) {
      if (result && result.reserved.length > 0) {
        await tx.execute(sql`
          update ${products} set stock = ${products.stock} + ${orderItems.quantity}
          from ${orderItems}
          where ${orderItems.orderId} = ${orderId} and ${orderItems.productId} = ${products.id}
            and ${products.id} in (select jsonb_array_elements_text(${JSON.stringify(result.reserved)}::jsonb)::uuid)`);
      }
      // Paid but not reservable: left `paid` for staff to restock or refund, never shipped short.
      deps.log.warn({ orderId }, 'paid order cannot be reserved: out of stock, left for staff');
      return;
    }
    await tx
      .update(orders)
      .set({ status: 'ready_to_ship', readyToShipAt: sql`now()` })
      .where(and(eq(orders.id, orderId), eq(orders.status, 'paid')));
    deps.log.info({ orderId, messageId }, 'order ready to ship');
  }

  return {
    name,
    topics: ['order.*'],
    async handle(tx: DatabaseTx, message: PipelineMessage): Promise<HandleOutcome> {
      const first = await tx
        .insert(processedMessages)
        .values({ consumer: name, messageId: message.messageId })
        .onConflictDoNothing()
        .returning({ messageId: processedMessages.messageId });
      if (first.length === 0) return 'duplicate';
      const orderId = message.payload.orderId;
      if (typeof orderId !== 'string' || !UUID.test(orderId)) throw new PoisonMessageError('order id missing');
      if (message.topic === 'order.paid') await fulfil(tx, orderId, message.messageId);
      // Other order events (failed, refunded, disputed) need no fulfilment step yet: recorded only.
      return 'processed';
    },
  };
}
