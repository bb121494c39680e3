import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { pipelineDatabase, seedPaidOrders } from '../support/pipeline-harness.js';

describe('order-worker database role (PCI DSS v4.0.1 7.2.2, 7.2.5: least privilege per service)', () => {
  it('can do fulfilment work but cannot read accounts or Stripe events, change prices, totals or payment fields, or run DDL', async (t) => {
    const { db, workerUrl, defer } = await pipelineDatabase(t);
    const { orderIds, productId } = await seedPaidOrders(db, 1);
    const orderId = orderIds[0] as string;
    const worker = new pg.Client({ connectionString: workerUrl });
    await worker.connect();
    defer(() => worker.end());
    const { rows } = await worker.query('select current_user as who');
    assert.equal(rows[0]?.who, 'shop_order_worker');

    // Allowed: what fulfilment needs.
    await worker.query(`update orders set status = 'ready_to_ship' where id = $1`, [orderId]);
    await worker.query('update products set stock = stock - 1 where id = $1', [productId]);
    await worker.query('select id, topic, payload from outbox limit 1');

    const refused = [
      'select * from users',
      'select * from stripe_events',
      'select * from carts',
      `update orders set total_minor = 0 where id = '${orderId}'`,
      `update orders set payment_intent_id = 'pi_x' where id = '${orderId}'`,
      `update products set price_minor = 1 where id = '${productId}'`,
      'select price_minor from products',
      'insert into outbox (topic, payload) values ($$order.paid$$, $${}$$)',
      `delete from orders where id = '${orderId}'`,
      'create table sneaky (id int)',
      'truncate processed_messages',
    ];
    for (const statement of refused) {
      await assert.rejects(worker.query(statement), /permission denied/, statement);
    }
  });
});
