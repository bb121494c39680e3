import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { RUNTIME_ROLE, SAMPLE, startTokenizer, type TokenizerHarness } from '../helper.js';

// PCI DSS v4.0.1 10.2 (events recorded), 10.3.2 (audit logs protected from modification),
// 10.3.4 (tamper detection): the trail is append-only for every role and hash-chained.

let h: TokenizerHarness;
let runtime: pg.Pool;
before(async () => {
  h = await startTokenizer();
  runtime = new pg.Pool({ connectionString: h.database.url, options: `-c role=${RUNTIME_ROLE}`, max: 1 });
  const made = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-audit',
    items: Object.entries(SAMPLE).map(([field, value]) => ({ field, value })),
  });
  await h.call('api', 'POST', '/v1/detokenize', { items: [{ token: made.body.tokens[0], field: 'email' }] });
  await Promise.all(
    Array.from({ length: 40 }, () =>
      h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token: made.body.tokens[0], field: 'email' }] }),
    ),
  );
});
after(async () => {
  await runtime?.end();
  await h?.close();
});

describe('[C-014] audit trail', () => {
  it('records caller, operation, field types, count and outcome of each request, and never a value', async () => {
    const { rows } = await h.owner.query('SELECT * FROM audit_events ORDER BY seq');
    assert.equal(rows.length, 42);
    assert.deepEqual(
      [rows[0].caller, rows[0].operation, rows[0].field_types, rows[0].item_count, rows[0].outcome],
      ['api', 'tokenize', ['email', 'name', 'phone', 'shipping_address'], 4, 'ok'],
    );
    assert.deepEqual([rows[1].caller, rows[1].operation, rows[1].outcome], ['api', 'detokenize', 'denied']);
    const text = JSON.stringify(rows);
    // Whole fragments of the values: a bare '7946' also turns up in a random hex hash or a
    // timestamp (about one run in twelve), which says nothing about a leaked phone number.
    for (const v of ['Lovelace', 'xample', '7946 0958', 'tok_']) assert.ok(!text.includes(v), v);
  });

  it('keeps an unbroken hash chain under concurrent writers, and detects a changed row', async () => {
    const check = await verifyAuditChain(h.owner);
    assert.deepEqual(check, { ok: true, rows: 42 });
    // An attacker with the owner's rights disables the guard and edits one row.
    const c = await h.owner.connect();
    try {
      await c.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
      await c.query("UPDATE audit_events SET outcome = 'ok' WHERE seq = 2");
      await c.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update');
    } finally {
      c.release();
    }
    const broken = await verifyAuditChain(h.owner);
    assert.equal(broken.ok, false);
    assert.equal(broken.brokenAt, 2);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even to the owner', async () => {
    await assert.rejects(h.owner.query("UPDATE audit_events SET outcome = 'x'"), /append-only/);
    await assert.rejects(h.owner.query('DELETE FROM audit_events'), /append-only/);
    await assert.rejects(h.owner.query('TRUNCATE audit_events'), /append-only/);
  });

  it('gives the runtime role INSERT and SELECT only on the trail, and no way to move the chain head', async () => {
    await assert.rejects(runtime.query("UPDATE audit_events SET outcome = 'x'"), /permission denied/);
    await assert.rejects(runtime.query('DELETE FROM audit_events'), /permission denied/);
    await assert.rejects(runtime.query("UPDATE audit_chain_head SET hash = 'x'"), /permission denied/);
    await assert.rejects(runtime.query('UPDATE provider_wrapped_keys SET active = false'), /permission denied/);
    await assert.rejects(runtime.query('DROP TABLE tokens'), /must be owner|permission denied/);
    const { rows } = await runtime.query('SELECT count(*)::int AS n FROM audit_events');
    assert.equal(rows[0].n, 42);
  });
});
