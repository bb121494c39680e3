import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { type Reply, startTokenizer, type TokenizerHarness } from '../helper.js';

// Audit rows are group-committed (several requests' rows in one INSERT, two batches in flight)
// and detokenize lookups of concurrent requests share one SELECT. Neither may release a value
// before that request's own row is committed, mix up requests, or break the hash chain.

let h: TokenizerHarness;
const emails: { token: string; value: string }[] = [];
let nameToken: string;

before(async () => {
  h = await startTokenizer();
  for (let s = 0; s < 4; s++) {
    const items = Array.from({ length: 10 }, (_, i) => ({ field: 'email', value: `person.${s}.${i}@example.net` }));
    const made = await h.call('api', 'POST', '/v1/tokenize', { subjectId: `cust-group-${s}`, items });
    assert.equal(made.status, 200);
    made.body.tokens.forEach((token: string, i: number) => {
      emails.push({ token, value: items[i]?.value ?? '' });
    });
  }
  const named = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-group-0',
    items: [{ field: 'name', value: 'Grace Hopper' }],
  });
  nameToken = named.body.tokens[0];
});
after(async () => {
  await h?.close();
});

async function auditCounts(): Promise<Map<string, number>> {
  const { rows } = await h.owner.query<{ key: string; n: number }>(
    `SELECT caller || ' ' || operation || ' ' || outcome AS key, count(*)::int AS n FROM audit_events GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.key, r.n]));
}

function settled<T>(promises: Promise<T>[]): { done: () => number } {
  let n = 0;
  for (const p of promises)
    p.then(
      () => n++,
      () => n++,
    );
  return { done: () => n };
}

describe('audit group commit and shared lookups', () => {
  it('answers each of many concurrent mixed requests with its own values and one audit row each, in an unbroken chain', async () => {
    const before = await auditCounts();
    const unknown = `tok_${'A'.repeat(32)}`;
    const calls: { kind: string; expect?: string; reply: Promise<Reply> }[] = [];
    for (let i = 0; i < 160; i++) {
      const e = emails[(i * 7) % emails.length] ?? { token: '', value: '' };
      const kind = ['ok', 'ok', 'ok', 'ok', 'not_found', 'mismatch', 'denied', 'pair'][i % 8] ?? 'ok';
      const other = emails[(i * 7 + 3) % emails.length] ?? e;
      const body =
        kind === 'not_found'
          ? {
              items: [
                { token: e.token, field: 'email' },
                { token: unknown, field: 'email' },
              ],
            }
          : kind === 'mismatch'
            ? { items: [{ token: nameToken, field: 'email' }] }
            : kind === 'pair'
              ? {
                  items: [
                    { token: e.token, field: 'email' },
                    { token: other.token, field: 'email' },
                  ],
                }
              : { items: [{ token: e.token, field: 'email' }] };
      const caller = kind === 'denied' ? 'api' : 'order-worker';
      calls.push({
        kind,
        expect: kind === 'pair' ? `${e.value}|${other.value}` : e.value,
        reply: h.call(caller, 'POST', '/v1/detokenize', body),
      });
    }
    const replies = await Promise.all(calls.map((c) => c.reply));
    let ok = 0;
    replies.forEach((r, i) => {
      const call = calls[i];
      assert.ok(call);
      if (call.kind === 'ok' || call.kind === 'pair') {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.items.map((x: { value: string }) => x.value).join('|'), call.expect);
        ok++;
      } else {
        const expected = { not_found: [404, 'token_not_found'], mismatch: [409, 'token_field_mismatch'] }[
          call.kind as 'not_found' | 'mismatch'
        ] ?? [403, 'operation_denied'];
        assert.equal(r.body.error.code, expected[1], JSON.stringify(r.body));
        // A refused request gets no value, not even of the items that were fine.
        assert.ok(!JSON.stringify(r.body).includes('@example.net'));
      }
    });
    const after = await auditCounts();
    const grew = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    assert.equal(grew('order-worker detokenize ok'), ok);
    assert.equal(grew('order-worker detokenize refused'), 40);
    assert.equal(grew('api detokenize denied'), 20);
    assert.deepEqual(await verifyAuditChain(h.owner), { ok: true, rows: [...after.values()].reduce((a, b) => a + b) });
  });

  it('releases no value while the audit rows cannot be committed, and answers once they are', async () => {
    const lockHolder = await h.owner.connect();
    const pending: Promise<Reply>[] = [];
    try {
      // Another writer holds the chain head: no audit row can commit until it lets go.
      await lockHolder.query('BEGIN');
      await lockHolder.query('SELECT seq FROM audit_chain_head WHERE singleton FOR UPDATE');
      const rowsBefore = (await h.owner.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n;
      for (let i = 0; i < 12; i++) {
        const e = emails[i] ?? { token: '', value: '' };
        pending.push(h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token: e.token, field: 'email' }] }));
      }
      const progress = settled(pending);
      await new Promise((r) => setTimeout(r, 750));
      assert.equal(progress.done(), 0, 'a detokenize answered before its audit row was committed');
      assert.equal((await h.owner.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n, rowsBefore);
      await lockHolder.query('COMMIT');
    } finally {
      await lockHolder.query('ROLLBACK').catch(() => {});
      lockHolder.release();
    }
    const replies = await Promise.all(pending);
    replies.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.items[0].value, emails[i]?.value);
    });
    assert.equal((await verifyAuditChain(h.owner)).ok, true);
  });

  it('fails closed (503, no value) every request whose audit statement fails, and keeps auditing the next ones', async () => {
    const before = await auditCounts();
    const lockHolder = await h.owner.connect();
    let failed: Reply[] = [];
    try {
      await lockHolder.query('BEGIN');
      await lockHolder.query('SELECT seq FROM audit_chain_head WHERE singleton FOR UPDATE');
      const pending = Array.from({ length: 8 }, (_, i) =>
        h.call('order-worker', 'POST', '/v1/detokenize', {
          items: [{ token: emails[i]?.token ?? '', field: 'email' }],
        }),
      );
      // Wait until the audit INSERTs queue behind the lock, then kill them (the database
      // failing mid-statement): their requests must not get their values.
      let waiting = 0;
      for (let attempt = 0; attempt < 100 && waiting === 0; attempt++) {
        await new Promise((r) => setTimeout(r, 50));
        const { rows } = await h.owner.query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1
             AND query LIKE 'INSERT INTO audit_events%' AND wait_event_type = 'Lock'`,
          [(await lockHolder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid],
        );
        waiting = rows.length;
      }
      assert.ok(waiting > 0, 'no audit statement waited behind the lock');
      await lockHolder.query('COMMIT');
      failed = await Promise.all(pending);
    } finally {
      await lockHolder.query('ROLLBACK').catch(() => {});
      lockHolder.release();
    }
    const refusedNow = failed.filter((r) => r.status === 503);
    assert.ok(refusedNow.length > 0);
    for (const r of refusedNow) {
      assert.equal(r.body.error.code, 'tokenizer_storage_unavailable');
      assert.ok(!JSON.stringify(r.body).includes('@example.net'));
    }
    for (const r of failed.filter((x) => x.status !== 503)) assert.equal(r.status, 200);
    const next = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: emails[0]?.token ?? '', field: 'email' }],
    });
    assert.equal(next.status, 200);
    const after = await auditCounts();
    const okRows = (after.get('order-worker detokenize ok') ?? 0) - (before.get('order-worker detokenize ok') ?? 0);
    // Every value released has its committed row; the killed statements left none.
    assert.equal(okRows, failed.filter((r) => r.status === 200).length + 1);
    assert.equal((await verifyAuditChain(h.owner)).ok, true);
  });
});
