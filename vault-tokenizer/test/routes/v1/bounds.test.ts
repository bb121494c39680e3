import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { LogCapture } from '@shop/shared/test-harness';
import { POLICY_FILE, SAMPLE, startTokenizer, type TokenizerHarness } from '../../helper.js';

// Pentest finding 8.9: the api's tokenizer rights were wider than the design. The api may not
// delete single tokens; it may erase subjects (account deletion) only within an hourly bound;
// reveals in clear are bounded per staff identity and per caller. Every refusal is audited
// (PCI DSS v4.0.1 10.2.1, 10.2.1.1) and reaching a bound is logged as an alert (10.4.1); the
// rights themselves are least privilege (7.2.1, 7.2.2).

const policy = JSON.parse(await readFile(POLICY_FILE, 'utf8'));
const ERASES_PER_HOUR: number = policy.eraseSubject.api.perHour;
const REVEALS_PER_STAFF: number = policy.revealBounds['admin-portal'].perStaffIdentityPerHour;
const REVEALS_PER_CALLER: number = policy.revealBounds['admin-portal'].perHour;

const logStream = new LogCapture();
let h: TokenizerHarness;
let tokens: string[];
before(async () => {
  h = await startTokenizer({ logStream });
  const res = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-bounds',
    items: [{ field: 'email', value: SAMPLE.email }],
  });
  assert.equal(res.status, 200);
  tokens = res.body.tokens;
});
after(async () => {
  await h?.close();
});

async function lastAudit(operation: string) {
  const { rows } = await h.owner.query(
    'SELECT caller, staff_identity, operation, outcome, detail FROM audit_events WHERE operation = $1 ORDER BY seq DESC LIMIT 1',
    [operation],
  );
  return { ...rows[0] };
}

function reveal(staff: string) {
  return h.call(
    'admin-portal',
    'POST',
    '/v1/detokenize',
    { items: [{ token: tokens[0], field: 'email' }] },
    { 'x-staff-identity': staff, 'x-reveal-reason': 'ticket 1234: confirm the address' },
  );
}

async function inParallel<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

describe('[C-041] tokenizer rights of the api and hourly bounds', () => {
  it('[pentest 8.9] the api certificate cannot delete a single token, and the refusal is audited (PCI DSS 7.2.2, 10.2.1)', async () => {
    const res = await h.call('api', 'DELETE', `/v1/tokens/${tokens[0]}`);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'operation_denied');
    assert.deepEqual(await lastAudit('delete_token'), {
      caller: 'api',
      staff_identity: null,
      operation: 'delete_token',
      outcome: 'denied',
      detail: 'operation_denied',
    });
    const still = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[0], field: 'email' }],
    });
    assert.equal(still.body.items[0].value, SAMPLE.email, 'the token was not deleted');
  });

  it('[pentest 8.9] the api erases at most its hourly bound of subjects; the next erase is refused, audited and alerted (PCI DSS 7.2.2, 10.2.1, 10.4.1)', async () => {
    // Concurrent, as a compromised api would send them: the bound holds exactly.
    const answers = await inParallel(ERASES_PER_HOUR + 5, 8, (i) =>
      h.call('api', 'DELETE', `/v1/subjects/cust-gone-${i}`),
    );
    assert.equal(answers.filter((a) => a.status === 204).length, ERASES_PER_HOUR);
    const refused = answers.filter((a) => a.status !== 204);
    assert.equal(refused.length, 5);
    for (const a of refused) {
      assert.equal(a.status, 429);
      assert.equal(a.body.error.code, 'erase_limit_reached');
    }
    // The subject of the sample token is refused too, and stays readable.
    const victim = await h.call('api', 'DELETE', '/v1/subjects/cust-bounds');
    assert.equal(victim.body.error.code, 'erase_limit_reached');
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[0], field: 'email' }],
    });
    assert.equal(read.status, 200);

    const { rows } = await h.owner.query(
      "SELECT outcome, detail, count(*)::int AS n FROM audit_events WHERE operation = 'erase_subject' GROUP BY 1, 2 ORDER BY 1",
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [
        { outcome: 'denied', detail: 'erase_limit_reached', n: 6 },
        { outcome: 'ok', detail: null, n: ERASES_PER_HOUR },
      ],
    );
    const alerts = logStream.events('tokenizer.erase_limit_reached');
    assert.equal(alerts.length, 6, 'each refusal is a warn line with a stable event name');
    assert.equal(alerts[0]?.level, 40);
    assert.equal(alerts[0]?.caller, 'api');
  });

  it('[pentest 8.9] reveals beyond the hourly bound of one staff identity are refused and audited; other staff still reveal (PCI DSS 7.2.2, 10.2.1.1)', async () => {
    const answers = await inParallel(REVEALS_PER_STAFF + 3, 8, () => reveal('alice@staff'));
    assert.equal(answers.filter((a) => a.status === 200).length, REVEALS_PER_STAFF);
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 429);
      assert.equal(a.body.error.code, 'reveal_limit_reached');
      assert.ok(!JSON.stringify(a.body).includes('Lovelace'));
    }
    // Granted reveals may still be writing their own rows: count the refusals, not the last row.
    const { rows } = await h.owner.query(
      "SELECT caller, staff_identity, outcome, detail, count(*)::int AS n FROM audit_events WHERE operation = 'reveal' AND outcome <> 'ok' GROUP BY 1, 2, 3, 4",
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [
        {
          caller: 'admin-portal',
          staff_identity: 'alice@staff',
          outcome: 'denied',
          detail: 'reveal_limit_reached',
          n: 3,
        },
      ],
    );
    const alert = logStream.events('tokenizer.reveal_limit_reached')[0];
    assert.equal(alert?.staffIdentity, 'alice@staff');
    assert.equal((await reveal('bob@staff')).status, 200, 'the bound is per staff identity');
    // Masked lookups are not reveals and are not counted.
    const masked = await h.call('admin-portal', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[0], field: 'email' }],
    });
    assert.equal(masked.status, 200);
  });

  it('[pentest 8.9] a caller that makes staff identities up is still bounded per hour in all (PCI DSS 7.2.2)', async () => {
    const used = REVEALS_PER_STAFF + 1; // alice's and bob's granted reveals above
    const identities = Math.ceil((REVEALS_PER_CALLER - used) / REVEALS_PER_STAFF) + 1;
    const answers = await inParallel(REVEALS_PER_CALLER - used + 5, 8, (i) => reveal(`made-up-${i % identities}`));
    assert.equal(answers.filter((a) => a.status === 200).length, REVEALS_PER_CALLER - used);
    assert.ok(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'reveal_limit_reached'));
    assert.equal((await reveal('carol@staff')).status, 429, 'a fresh identity does not lift the caller bound');
  });

  it('counts a use for one window only (sliding window in the database)', async () => {
    const take = async () =>
      (await h.owner.query("SELECT take_quota(ARRAY['window-test'], ARRAY[1], interval '1 hour') AS r")).rows[0].r;
    assert.equal(await take(), null, 'granted');
    assert.equal(await take(), 'window-test', 'bound reached within the window');
    // The first use leaves the window: aged by the test rather than waited for (no timing involved).
    await h.owner.query("UPDATE quota_uses SET used_at = used_at - interval '61 minutes' WHERE bucket = 'window-test'");
    assert.equal(await take(), null, 'granted again once the first use left the window');
  });
});
