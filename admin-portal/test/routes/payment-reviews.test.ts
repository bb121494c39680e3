import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PortalHarness, startPortal } from '../helper.js';
import { seedOrder } from '../support/database.js';

// Open payment reviews, read-only, for support and finance (the roles test refuses the others).

let h: PortalHarness;

before(async () => {
  h = await startPortal();
});
after(async () => {
  await h?.close();
});

describe('payment reviews', () => {
  it('lists the open reviews only, with their order, escaped, and audits the look (PCI DSS 10.2.1)', async () => {
    const { orderId } = await seedOrder(h.db.owner);
    await h.db.owner.query(
      `INSERT INTO payment_reviews (reason, order_id, event_id, payment_intent_id, detail)
       VALUES ('amount_mismatch', $1, 'evt_open', 'pi_open', '{"expected": 4200, "received": 42, "note": "<script>"}')`,
      [orderId],
    );
    await h.db.owner.query(
      `INSERT INTO payment_reviews (reason, event_id, resolved_at) VALUES ('unknown_order', 'evt_done', now())`,
    );
    const finance = await h.addStaff('fin', ['finance']);
    await finance.enrol();
    const page = await finance.get('/payment-reviews');
    assert.equal(page.status, 200);
    assert.match(page.body, /amount_mismatch/);
    assert.match(page.body, new RegExp(`href="/orders/${orderId}"`));
    assert.match(page.body, /evt_open/);
    assert.doesNotMatch(page.body, /evt_done/, 'a resolved review is not listed');
    assert.doesNotMatch(page.body, /<script>/, 'detail is escaped');
    const { rows } = await h.db.owner.query(
      `SELECT e.detail FROM admin.audit_events e JOIN admin.staff s ON s.id = e.staff_id
       WHERE s.handle = 'fin' AND e.action = 'payment_review.listed'`,
    );
    assert.deepEqual(rows[0]?.detail, { results: 1 });
  });
});
