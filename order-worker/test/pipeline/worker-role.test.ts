import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { pipelineDatabase, seedPaidOrders } from '../support/pipeline-harness.js';

describe('order-worker database role (PCI DSS v4.0.1 7.2.2, 7.2.5: least privilege per service)', () => {
  it('can do fulfilment and mail work (the tokens of an address, never a password hash or blind index) but cannot read Stripe events, change prices, totals or payment fields, rewrite a mail record, or run DDL', async (t) => {
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
    await worker.query('select id, email_token, name_token, email_verified_at, created_at from users');
    const requestId = '00000000-0000-4000-8000-000000000001';
    await worker.query(
      `insert into mail_deliveries (request_id, template, user_id, status) select $1, 'password_changed', id, 'sent' from users limit 1`,
      [requestId],
    );

    const refused = [
      'select * from users',
      'select password_hash from users',
      'select email_blind_index from users',
      `update users set email_token = 'x'`,
      `update mail_deliveries set status = 'dead' where request_id = '${requestId}'`,
      `delete from mail_deliveries where request_id = '${requestId}'`,
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
