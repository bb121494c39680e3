import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { StripeDouble } from '../../../api/test/support/stripe-double.js';
import { startTokenizer, type TokenizerHarness } from '../../../vault-tokenizer/test/helper.js';
import { HttpTokenizerClient } from '../../src/tokenizer/tokenizer-client.js';
import { type PortalHarness, type StaffClient, startPortal } from '../helper.js';
import { seedOrder } from '../support/database.js';
import { paidOrder as paidOrderOf, refundsVia } from '../support/orders.js';

// Issue 10, items 5-6 against a real tokenizer (mTLS, the portal's service certificate) and the
// Stripe API double: masked customer data, a reveal with a reason, mark shipped, refunds with an
// idempotency key, and the two-person rule; each step in the audit trail; faults answer a page.

let h: PortalHarness;
let tok: TokenizerHarness;
let stripe: StripeDouble;
let tokenizer: HttpTokenizerClient;
let support: StaffClient;
let fulfil: StaffClient;
let fin1: StaffClient;
let fin2: StaffClient;
const codeOf = (body: string) => /id="error-code">([a-z_]+)</.exec(body)?.[1];

const JANE = {
  email: 'jane.doe@example.com',
  name: 'Jane <b>Doe</b>',
  address: { name: 'Jane Doe', line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' },
};
const paidOrder = (totalMinor: number, status = 'paid') =>
  paidOrderOf({ owner: h.db.owner, tok, stripe }, JANE, totalMinor, status);

before(async () => {
  tok = await startTokenizer();
  stripe = await new StripeDouble().start();
  tokenizer = new HttpTokenizerClient(`https://127.0.0.1:${tok.port}`, await tok.ca.material('admin-portal'));
  h = await startPortal({
    deps: {
      tokenizer,
      refunds: refundsVia(stripe),
    },
  });
  support = await h.addStaff('sam', ['support']);
  fulfil = await h.addStaff('fred', ['fulfilment']);
  fin1 = await h.addStaff('fiona', ['finance']);
  fin2 = await h.addStaff('frank', ['finance']);
  for (const c of [support, fulfil, fin1, fin2]) assert.equal((await c.enrol()).status, 303);
});
after(async () => {
  await h?.close();
  tokenizer?.close();
  await tok?.close();
  await stripe?.stop();
});

async function auditOf(target: string) {
  const { rows } = await h.db.owner.query<{
    action: string;
    outcome: string;
    handle: string;
    detail: Record<string, unknown>;
  }>(
    `SELECT e.action, e.outcome, s.handle, e.detail FROM admin.audit_events e LEFT JOIN admin.staff s ON s.id = e.staff_id
     WHERE e.target = $1 ORDER BY e.seq`,
    [target],
  );
  return rows;
}

describe('customer data', () => {
  it('shows masked customer data only and refuses a reveal without a written reason, audited', async () => {
    const id = await paidOrder(4200);
    const detail = await support.get(`/orders/${id}`);
    assert.equal(detail.status, 200);
    assert.doesNotMatch(detail.body, /jane\.doe@example\.com|Main Street/);
    assert.match(
      detail.body,
      /class="masked">j\*+@e\*+\.com</,
      'the masked value from the tokenizer, not "unavailable"',
    );
    const short = await support.post(`/orders/${id}/reveal`, { field: 'email', reason: 'why' });
    assert.equal(short.status, 400);
    assert.equal(codeOf(short.body), 'admin_reason_required');
    const audit = await auditOf(id);
    assert.ok(
      audit.some(
        (e) => e.action === 'customer.reveal' && e.outcome === 'denied' && e.detail.code === 'reason_required',
      ),
    );
  });

  it('reveals one field through the real tokenizer with the staff identity and reason in both audit trails (PCI DSS 10.2.1.1, 7.2)', async () => {
    const id = await paidOrder(4300);
    await support.get(`/orders/${id}`);
    const reason = 'customer called about a lost parcel, ticket 4711 (Müller)';
    const res = await support.post(`/orders/${id}/reveal`, { field: 'email', reason });
    assert.equal(res.status, 200, res.body.slice(0, 400));
    assert.match(res.body, /id="revealed-value">jane\.doe@example\.com</);
    const portal = (await auditOf(id)).filter((e) => e.action === 'customer.reveal' && e.outcome === 'ok');
    assert.equal(portal.length, 1);
    assert.equal(portal[0]?.handle, 'sam');
    assert.deepEqual(portal[0]?.detail, { field: 'email', reason });
    const { rows } = await tok.owner.query<{
      caller: string;
      staff_identity: string;
      reason: string;
      field_types: string[];
    }>(
      `SELECT caller, staff_identity, reason, field_types FROM audit_events WHERE operation = 'reveal' AND outcome = 'ok'`,
    );
    assert.deepEqual(rows, [{ caller: 'admin-portal', staff_identity: 'sam', reason, field_types: ['email'] }]);
  });

  it('refuses a reason a header cannot carry unchanged (beyond Latin-1, a line break), audited, nothing sent to the tokenizer', async () => {
    const id = await paidOrder(4400);
    await support.get(`/orders/${id}`);
    const before = await tok.owner.query(`SELECT count(*)::int AS n FROM audit_events WHERE operation = 'reveal'`);
    for (const reason of ['customer called \u2013 lost parcel', 'customer called\r\nx-injected: 1']) {
      const res = await support.post(`/orders/${id}/reveal`, { field: 'name', reason });
      assert.equal(res.status, 400);
      assert.equal(codeOf(res.body), 'admin_reason_required');
    }
    const afterwards = await tok.owner.query(`SELECT count(*)::int AS n FROM audit_events WHERE operation = 'reveal'`);
    assert.equal(afterwards.rows[0]?.n, before.rows[0]?.n);
    const denied = (await auditOf(id)).filter((e) => e.action === 'customer.reveal' && e.outcome === 'denied');
    assert.equal(denied.length, 2);
  });

  it('reveals nothing and answers a 503 page when the tokenizer is down', async () => {
    const id = await paidOrder(1500);
    const down = new HttpTokenizerClient('https://127.0.0.1:1', await tok.ca.material('admin-portal'), 500);
    const h2 = await startPortal({ deps: { tokenizer: down } });
    try {
      const s = await h2.addStaff('sue', ['support']);
      await s.enrol();
      await h2.db.owner.query(`SELECT 1`);
      const order = await seedOrder(h2.db.owner);
      const page = await s.get(`/orders/${order.orderId}`);
      assert.equal(page.status, 200);
      assert.match(page.body, /unavailable/);
      const res = await s.post(`/orders/${order.orderId}/reveal`, {
        field: 'email',
        reason: 'customer called us today',
      });
      assert.equal(res.status, 503);
      assert.equal(codeOf(res.body), 'admin_tokenizer_unavailable');
      const { rows } = await h2.db.owner.query(
        `SELECT outcome FROM admin.audit_events WHERE action = 'customer.reveal'`,
      );
      assert.deepEqual(
        rows.map((r) => r.outcome),
        ['failed'],
      );
    } finally {
      down.close();
      await h2.close();
    }
    assert.ok(id);
  });
});

describe('fulfilment', () => {
  it('marks an order ready to ship as shipped, once', async () => {
    const id = await paidOrder(900, 'ready_to_ship');
    assert.equal((await fulfil.get(`/orders/${id}`)).status, 200);
    assert.equal((await fulfil.post(`/orders/${id}/ship`)).status, 303);
    const again = await fulfil.post(`/orders/${id}/ship`);
    assert.equal(again.status, 409);
    assert.equal(codeOf(again.body), 'admin_order_not_shippable');
    const paid = await paidOrder(900, 'paid');
    assert.equal((await fulfil.get(`/orders/${paid}`)).status, 404, 'fulfilment sees only orders ready to ship');
  });
});

describe('refunds and the two-person rule [C-046]', () => {
  it('refunds below the threshold at once through Stripe with an idempotency key', async () => {
    const id = await paidOrder(5000);
    assert.equal((await fin1.post(`/orders/${id}/refund`, { amount: '2000', reason: 'damaged' })).status, 303);
    const call = stripe.requests.filter((r) => r.path === '/v1/refunds').at(-1);
    assert.match(call?.idempotencyKey ?? '', /^admin-refund-/);
    const { rows } = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [id]);
    assert.equal(rows[0]?.refunded_minor, 2000);
    const over = await fin1.post(`/orders/${id}/refund`, { amount: '3001', reason: 'too much' });
    assert.equal(over.status, 400);
    assert.equal(codeOf(over.body), 'admin_refund_invalid');
  });

  it('records nothing as refunded when Stripe does not answer', async () => {
    const id = await paidOrder(3000);
    stripe.failNext = 5;
    const res = await fin1.post(`/orders/${id}/refund`, { amount: '1000', reason: 'late delivery' });
    stripe.failNext = 0;
    assert.equal(res.status, 503);
    assert.equal(codeOf(res.body), 'admin_payments_unavailable');
    const { rows } = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [id]);
    assert.equal(rows[0]?.refunded_minor, 0);
    const refund = await h.db.owner.query('SELECT status FROM admin.refunds WHERE order_id = $1', [id]);
    assert.equal(refund.rows[0]?.status, 'processing', 'kept for a retry with the same key, never "succeeded"');
  });

  it('a refund whose Stripe call timed out is never recorded as done, and a retry with the same idempotency key refunds once (issue 10 "nothing half-done")', async () => {
    // A portal whose Stripe calls give up after 2 s, against the same double (whose gate never
    // answers): long enough for the request to reach the double on a busy machine.
    const h3 = await startPortal({
      deps: {
        tokenizer,
        refunds: refundsVia(stripe, 2_000),
      },
    });
    let release = () => {};
    try {
      const fin = await h3.addStaff('fay', ['finance']);
      await fin.enrol();
      const client = new Stripe(stripe.secretKey, { host: '127.0.0.1', port: stripe.port, protocol: 'http' });
      const pi = await client.paymentIntents.create({ amount: 3000, currency: 'eur' });
      stripe.succeed(pi.id);
      const { orderId } = await seedOrder(h3.db.owner, { totalMinor: 3000 });
      await h3.db.owner.query('UPDATE orders SET payment_intent_id = $2 WHERE id = $1', [orderId, pi.id]);
      const charge = () => [...stripe.charges.values()].find((c) => c.payment_intent === pi.id);
      await fin.get(`/orders/${orderId}`);
      // Stripe carries the refund out but its answer never arrives in time.
      stripe.gate = new Promise<void>((r) => {
        release = r;
      });
      const res = await fin.post(`/orders/${orderId}/refund`, { amount: '1000', reason: 'late delivery' });
      assert.equal(res.status, 503);
      assert.equal(codeOf(res.body), 'admin_payments_unavailable');
      assert.equal(charge()?.amount_refunded, 1000, 'Stripe did refund');
      const stored = await h3.db.owner.query<{ id: string; status: string; idempotency_key: string }>(
        'SELECT id, status, idempotency_key FROM admin.refunds WHERE order_id = $1',
        [orderId],
      );
      const refund = stored.rows[0];
      assert.equal(refund?.status, 'processing', 'not recorded as done without an answer');
      let order = await h3.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [orderId]);
      assert.equal(order.rows[0]?.refunded_minor, 0);
      release();
      stripe.gate = undefined;

      const page = await fin.get(`/orders/${orderId}`);
      assert.match(page.body, new RegExp(`/orders/${orderId}/refunds/${refund?.id}/retry`));
      const retried = await fin.post(`/orders/${orderId}/refunds/${refund?.id}/retry`);
      assert.equal(retried.status, 303, retried.body.slice(0, 300));
      order = await h3.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [orderId]);
      assert.equal(order.rows[0]?.refunded_minor, 1000);
      assert.equal(charge()?.amount_refunded, 1000, 'refunded once at Stripe, not twice');
      const keys = new Set(
        stripe.requests
          .filter((r) => r.path === '/v1/refunds' && r.params.payment_intent === pi.id)
          .map((r) => r.idempotencyKey),
      );
      assert.deepEqual([...keys], [refund?.idempotency_key], 'every attempt carried the one key');
      const again = await fin.post(`/orders/${orderId}/refunds/${refund?.id}/retry`);
      assert.equal(again.status, 409);
      assert.equal(codeOf(again.body), 'admin_refund_not_retryable');
    } finally {
      release();
      stripe.gate = undefined;
      await h3.close();
    }
  });

  it('a retry cannot carry out a refund that still waits for its approval (two-person rule)', async () => {
    const id = await paidOrder(40_000);
    await fin1.post(`/orders/${id}/refund`, { amount: '25000', reason: 'parcel never arrived' });
    const { rows } = await h.db.owner.query<{ id: string }>('SELECT id FROM admin.refunds WHERE order_id = $1', [id]);
    await fin2.get(`/orders/${id}`);
    const res = await fin2.post(`/orders/${id}/refunds/${rows[0]?.id}/retry`);
    assert.equal(res.status, 409);
    assert.equal(codeOf(res.body), 'admin_refund_not_retryable');
    const order = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [id]);
    assert.equal(order.rows[0]?.refunded_minor, 0);
    const status = await h.db.owner.query('SELECT status FROM admin.refunds WHERE order_id = $1', [id]);
    assert.equal(status.rows[0]?.status, 'awaiting_approval');
  });

  it('a refund above the threshold waits for a second finance member: no self-approval, then approved once', async () => {
    const id = await paidOrder(50_000);
    const asked = await fin1.post(`/orders/${id}/refund`, { amount: '20000', reason: 'order lost in transit' });
    assert.equal(asked.status, 200);
    assert.match(asked.body, /awaiting_approval/);
    assert.equal(stripe.requests.filter((r) => r.params.payment_intent && r.path === '/v1/refunds').length >= 0, true);
    const approval = await h.db.owner.query<{ id: string }>(
      `SELECT id FROM admin.approvals WHERE payload->>'orderId' = $1`,
      [id],
    );
    const approvalId = approval.rows[0]?.id as string;
    await fin1.get('/approvals');
    const self = await fin1.post(`/approvals/${approvalId}/approve`);
    assert.equal(self.status, 403);
    assert.equal(codeOf(self.body), 'admin_self_approval');
    let order = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [id]);
    assert.equal(order.rows[0]?.refunded_minor, 0, 'nothing refunded before approval');
    const inbox = await fin2.get('/approvals');
    assert.match(inbox.body, new RegExp(approvalId));
    assert.equal((await fin2.post(`/approvals/${approvalId}/approve`)).status, 303);
    order = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [id]);
    assert.equal(order.rows[0]?.refunded_minor, 20_000);
    const twice = await fin2.post(`/approvals/${approvalId}/deny`);
    assert.equal(twice.status, 409);
    assert.equal(codeOf(twice.body), 'admin_approval_decided');
    await assert.rejects(
      h.db.owner.query(`UPDATE admin.approvals SET status = 'denied' WHERE id = $1`, [approvalId]),
      /already approved/,
      'immutable after approval, even for the owner',
    );
    const actions = (await auditOf(id)).map((a) => `${a.action}:${a.outcome}`);
    assert.ok(actions.includes('refund.requested:ok'));
    assert.ok(actions.includes('refund.executed:ok'));
    const decided = await auditOf(approvalId);
    assert.deepEqual(
      decided.map((a) => `${a.action}:${a.outcome}:${a.handle}`),
      ['approval.approve:denied:fiona', 'approval.approve:ok:frank', 'approval.deny:denied:frank'],
    );
  });

  it('a denied request cannot be approved, and an expired one cannot be decided', async () => {
    const id = await paidOrder(60_000);
    await fin1.post(`/orders/${id}/refund`, { amount: '30000', reason: 'customer complaint' });
    const [first] = (
      await h.db.owner.query<{ id: string }>(`SELECT id FROM admin.approvals WHERE payload->>'orderId' = $1`, [id])
    ).rows;
    await fin2.get('/approvals');
    assert.equal((await fin2.post(`/approvals/${first?.id}/deny`)).status, 303);
    const late = await fin2.post(`/approvals/${first?.id}/approve`);
    assert.equal(codeOf(late.body), 'admin_approval_decided');
    const expiring = await paidOrder(60_000);
    await fin1.post(`/orders/${expiring}/refund`, { amount: '30000', reason: 'customer complaint' });
    const [second] = (
      await h.db.owner.query<{ id: string }>(`SELECT id FROM admin.approvals WHERE payload->>'orderId' = $1`, [
        expiring,
      ])
    ).rows;
    // Expiry is set at creation; moving it back stands for the time passing (the owner may, while pending).
    await h.db.owner.query(`ALTER TABLE admin.approvals DISABLE TRIGGER approvals_final`);
    await h.db.owner.query(`UPDATE admin.approvals SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      second?.id,
    ]);
    await h.db.owner.query(`ALTER TABLE admin.approvals ENABLE TRIGGER approvals_final`);
    await fin2.get('/approvals');
    const expired = await fin2.post(`/approvals/${second?.id}/approve`);
    assert.equal(expired.status, 409);
    assert.equal(codeOf(expired.body), 'admin_approval_expired');
    const { rows } = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = ANY($1)', [[id, expiring]]);
    assert.deepEqual(
      rows.map((r) => r.refunded_minor),
      [0, 0],
    );
  });
});
