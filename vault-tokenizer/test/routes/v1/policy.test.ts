import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE, startTokenizer, type TokenizerHarness } from '../../helper.js';

// Pins the tokenizer policy (policy/policy.json) from the wrong side: PCI DSS v4.0.1 7.2.1-7.2.2
// (least privilege, default deny), 10.2.1.1 (individual access to personal data is audited).

let h: TokenizerHarness;
let tokens: string[];
before(async () => {
  h = await startTokenizer();
  const res = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-policy',
    items: Object.entries(SAMPLE).map(([field, value]) => ({ field, value })),
  });
  assert.equal(res.status, 200);
  tokens = res.body.tokens;
});
after(async () => {
  await h?.close();
});

async function lastAudit(operation: string) {
  const { rows } = await h.owner.query(
    'SELECT caller, staff_identity, reason, operation, field_types, item_count, outcome, detail FROM audit_events WHERE operation = $1 ORDER BY seq DESC LIMIT 1',
    [operation],
  );
  return rows[0];
}

const emailItem = () => ({ token: tokens[0], field: 'email' });
const nameItem = () => ({ token: tokens[1], field: 'name' });

describe('[C-013] tokenizer policy', () => {
  it('never lets the api detokenize, and audits the denial', async () => {
    const res = await h.call('api', 'POST', '/v1/detokenize', { items: [emailItem()] });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'operation_denied');
    assert.ok(!JSON.stringify(res.body).includes('Lovelace'));
    const reveal = await h.call(
      'api',
      'POST',
      '/v1/detokenize',
      { items: [emailItem()] },
      { 'x-staff-identity': 'mallory', 'x-reveal-reason': 'pretending to be the admin portal' },
    );
    assert.equal(reveal.status, 403, 'reveal headers do not lift the api’s denial');
    const audit = await lastAudit('detokenize');
    assert.equal(audit.caller, 'api');
    assert.equal(audit.outcome, 'denied');
    assert.deepEqual(audit.field_types, ['email']);
  });

  it('denies a caller the policy does not list, even with a valid certificate of the internal CA', async () => {
    for (const [path, body] of [
      ['/v1/tokenize', { subjectId: 'x', items: [{ field: 'email', value: 'a@b.co' }] }],
      ['/v1/detokenize', { items: [emailItem()] }],
      ['/v1/blind-index', { field: 'email', value: 'a@b.co' }],
    ] as const) {
      const res = await h.call('billing', 'POST', path, body);
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'caller_unknown', path);
    }
    assert.equal((await h.call('billing', 'DELETE', '/v1/subjects/cust-policy')).body.error.code, 'caller_unknown');
  });

  it('denies a field type the policy does not know', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'x',
      items: [{ field: 'passport_number', value: 'X1234567' }],
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'field_denied');
  });

  it('denies order-worker a field outside its policy (phone), while email and name are allowed', async () => {
    const denied = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [emailItem(), { token: tokens[2], field: 'phone' }],
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'field_denied');
    assert.ok(!JSON.stringify(denied.body).includes('Lovelace'));
    const allowed = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [emailItem(), nameItem()] });
    assert.deepEqual(
      allowed.body.items.map((i: { value: string }) => i.value),
      [SAMPLE.email, SAMPLE.name],
    );
  });

  it('denies order-worker tokenizing, blind-indexing and erasing: it may only read back what it mails (issue 11)', async () => {
    const tokenize = await h.call('order-worker', 'POST', '/v1/tokenize', {
      subjectId: 'cust-policy',
      items: [{ field: 'name', value: 'Someone Else' }],
    });
    assert.equal(tokenize.status, 403);
    assert.equal(tokenize.body.error.code, 'operation_denied');
    const index = await h.call('order-worker', 'POST', '/v1/blind-index', { field: 'email', value: SAMPLE.email });
    assert.equal(index.status, 403);
    assert.equal(index.body.error.code, 'operation_denied');
    const erase = await h.call('order-worker', 'DELETE', '/v1/subjects/cust-policy');
    assert.equal(erase.status, 403);
    assert.equal(erase.body.error.code, 'operation_denied');
    // The subject is intact: the worker's attempt erased nothing.
    const still = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [emailItem()] });
    assert.equal(still.body.items[0].value, SAMPLE.email);
  });

  it('denies order-worker and admin-portal tokenizing, and the api erasing nothing it may not', async () => {
    const res = await h.call('order-worker', 'POST', '/v1/tokenize', {
      subjectId: 'x',
      items: [{ field: 'email', value: 'a@b.co' }],
    });
    assert.equal(res.body.error.code, 'operation_denied');
    const erase = await h.call('admin-portal', 'DELETE', '/v1/subjects/cust-policy');
    assert.equal(erase.status, 403);
    assert.equal(erase.body.error.code, 'operation_denied');
  });

  it('shows admin-portal masked values by default', async () => {
    const res = await h.call('admin-portal', 'POST', '/v1/detokenize', {
      items: [
        emailItem(),
        nameItem(),
        { token: tokens[2], field: 'phone' },
        { token: tokens[3], field: 'shipping_address' },
      ],
    });
    assert.equal(res.status, 200);
    const values = res.body.items.map((i: { value: string }) => i.value);
    assert.deepEqual(values.slice(0, 3), ['A***@E***.org', 'A*** L***', '**********58']);
    assert.deepEqual(JSON.parse(values[3]), {
      name: 'A*** L***',
      line1: '***',
      city: 'L***',
      postalCode: '***',
      country: 'GB',
    });
    assert.ok(res.body.items.every((i: { masked: boolean }) => i.masked));
    assert.ok(!JSON.stringify(res.body).includes('Lovelace'));
  });

  it('refuses a reveal in clear without a reason, and audits the refusal', async () => {
    const res = await h.call(
      'admin-portal',
      'POST',
      '/v1/detokenize',
      { items: [emailItem()] },
      { 'x-staff-identity': 'alice@staff' },
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'reveal_reason_required');
    assert.ok(!JSON.stringify(res.body).includes('Lovelace'));
    const audit = await lastAudit('reveal');
    assert.equal(audit.outcome, 'refused');
    assert.equal(audit.staff_identity, 'alice@staff');
    assert.equal(audit.reason, null);
  });

  it('refuses a reveal with a reason but no staff identity', async () => {
    const res = await h.call(
      'admin-portal',
      'POST',
      '/v1/detokenize',
      { items: [emailItem()] },
      { 'x-reveal-reason': 'customer called about a parcel' },
    );
    assert.equal(res.body.error.code, 'reveal_reason_required');
  });

  it('reveals in clear with a staff identity and a reason, and the audit row names both (never the value)', async () => {
    const reason = 'ticket 4711: customer asked to confirm the address';
    const res = await h.call(
      'admin-portal',
      'POST',
      '/v1/detokenize',
      { items: [emailItem(), { token: tokens[3], field: 'shipping_address' }] },
      { 'x-staff-identity': 'alice@staff', 'x-reveal-reason': reason },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.items[0].value, SAMPLE.email);
    assert.equal(res.body.items[0].masked, false);
    const audit = await lastAudit('reveal');
    assert.deepEqual(
      { ...audit },
      {
        caller: 'admin-portal',
        staff_identity: 'alice@staff',
        reason,
        operation: 'reveal',
        field_types: ['email', 'shipping_address'],
        item_count: 2,
        outcome: 'ok',
        detail: null,
      },
    );
  });

  it('denies a reveal to order-worker even with staff identity and reason', async () => {
    const res = await h.call(
      'order-worker',
      'POST',
      '/v1/detokenize',
      { items: [emailItem()] },
      { 'x-staff-identity': 'bob', 'x-reveal-reason': 'just curious, honestly' },
    );
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'operation_denied');
  });

  it('gives the api a blind index of the normalised email, equal for equal emails and unequal otherwise', async () => {
    const a = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: '  ADA.lovelace@example.ORG ' });
    const b = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: 'ada.lovelace@example.org' });
    const c = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: 'ada.lovelace@example.com' });
    assert.equal(a.status, 200);
    assert.equal(a.body.index, b.body.index);
    assert.notEqual(a.body.index, c.body.index);
    assert.match(a.body.index, /^[A-Za-z0-9_-]{43}$/);
    const name = await h.call('api', 'POST', '/v1/blind-index', { field: 'name', value: 'Ada' });
    assert.equal(name.body.error.code, 'operation_denied');
  });
});
