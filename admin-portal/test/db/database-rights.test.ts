import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createShopDatabase, type SeededOrder, type ShopDatabase, seedOrder } from '../support/database.js';

// Issue 10, item 7 (PCI DSS v4.0.1 7.2.2, 7.2.5): the portal's runtime role reads what staff
// look at and changes only the columns its actions change; the shop's roles cannot read the
// portal's tables. Each test is a refusal by PostgreSQL itself.

let db: ShopDatabase;
let order: SeededOrder;
const DENIED = { code: '42501' };

before(async () => {
  db = await createShopDatabase();
  order = await seedOrder(db.owner);
  await db.owner.query(`INSERT INTO admin.staff (handle, display_name) VALUES ('ada', 'Ada')`);
});
after(async () => {
  await db?.close();
});

describe('the portal runtime role on the shop tables', () => {
  it('reads orders, order items, products and customer tokens', async () => {
    const { rows } = await db.runtime.query(
      `SELECT o.id, o.total_minor, i.name, p.sku, u.email_token, u.name_token, u.email_blind_index
       FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
       JOIN users u ON u.id = o.user_id WHERE o.id = $1`,
      [order.orderId],
    );
    assert.equal(rows.length, 1);
  });

  it('cannot read password hashes (or any column of users beyond id and tokens)', async () => {
    await assert.rejects(db.runtime.query('SELECT password_hash FROM users'), DENIED);
    await assert.rejects(db.runtime.query('SELECT * FROM users'), DENIED);
  });

  it('may change an order status and refunded amount, and nothing else of an order', async () => {
    await db.runtime.query(`UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = $1`, [order.orderId]);
    await assert.rejects(db.runtime.query('UPDATE orders SET total_minor = 1 WHERE id = $1', [order.orderId]), DENIED);
    await assert.rejects(
      db.runtime.query(`UPDATE orders SET payment_intent_id = 'pi_x' WHERE id = $1`, [order.orderId]),
      DENIED,
    );
  });

  it('cannot insert or delete orders, change products, or touch carts, Stripe events or the outbox', async () => {
    await assert.rejects(db.runtime.query('DELETE FROM orders WHERE id = $1', [order.orderId]), DENIED);
    await assert.rejects(
      db.runtime.query(`INSERT INTO orders (user_id, currency, total_minor) VALUES ($1, 'EUR', 1)`, [order.userId]),
      DENIED,
    );
    await assert.rejects(db.runtime.query('UPDATE products SET price_minor = 1'), DENIED);
    await assert.rejects(db.runtime.query('SELECT * FROM carts'), DENIED);
    await assert.rejects(db.runtime.query('SELECT * FROM stripe_events'), DENIED);
    await assert.rejects(db.runtime.query('SELECT * FROM outbox'), DENIED);
    await assert.rejects(db.runtime.query('UPDATE users SET email_token = NULL'), DENIED);
  });

  it('reads payment reviews and cannot change, resolve, add or delete one', async () => {
    await db.owner.query(`INSERT INTO payment_reviews (reason, event_id) VALUES ('unknown_order', 'evt_rights')`);
    const { rows } = await db.runtime.query(`SELECT reason FROM payment_reviews WHERE event_id = 'evt_rights'`);
    assert.equal(rows[0]?.reason, 'unknown_order');
    await assert.rejects(db.runtime.query('UPDATE payment_reviews SET resolved_at = now()'), DENIED);
    await assert.rejects(db.runtime.query('DELETE FROM payment_reviews'), DENIED);
    await assert.rejects(
      db.runtime.query(`INSERT INTO payment_reviews (reason, event_id) VALUES ('unknown_order', 'evt_x')`),
      DENIED,
    );
  });

  it('cannot create objects (no DDL)', async () => {
    await assert.rejects(db.runtime.query('CREATE TABLE public.x (id int)'), DENIED);
    await assert.rejects(db.runtime.query('CREATE TABLE admin.x (id int)'), DENIED);
  });
});

describe('the portal runtime role on its own tables', () => {
  it('may only append to the audit trail and its checkpoints: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await db.runtime.query(`INSERT INTO admin.audit_events (action, outcome) VALUES ('test', 'ok')`);
    await assert.rejects(db.runtime.query(`UPDATE admin.audit_events SET outcome = 'denied'`), DENIED);
    await assert.rejects(db.runtime.query('DELETE FROM admin.audit_events'), DENIED);
    await assert.rejects(db.runtime.query('TRUNCATE admin.audit_events'), DENIED);
    await assert.rejects(db.runtime.query('UPDATE admin.audit_chain_head SET seq = 0'), DENIED);
    await assert.rejects(db.runtime.query('DELETE FROM admin.audit_checkpoints'), DENIED);
  });

  it('cannot change who requested an approval or what it asks for', async () => {
    await assert.rejects(db.runtime.query(`UPDATE admin.approvals SET payload = '{}'`), DENIED);
    await assert.rejects(db.runtime.query(`UPDATE admin.approvals SET requested_by = NULL`), DENIED);
  });

  it('cannot move a certificate to another staff member', async () => {
    await assert.rejects(db.runtime.query('UPDATE admin.staff_certificates SET staff_id = NULL'), DENIED);
  });
});

describe('the shop roles on the portal schema', () => {
  for (const role of ['shop_api', 'shop_order_worker']) {
    it(`${role} cannot read or write any portal table`, async () => {
      const pool = db.as(role);
      for (const table of ['staff', 'staff_roles', 'totp_factors', 'audit_events', 'approvals', 'refunds']) {
        await assert.rejects(pool.query(`SELECT * FROM admin.${table}`), DENIED, `${role} read admin.${table}`);
      }
      await assert.rejects(
        pool.query(`INSERT INTO admin.staff_roles (staff_id, role) SELECT id, 'admin' FROM admin.staff`),
        DENIED,
      );
    });
  }
});
