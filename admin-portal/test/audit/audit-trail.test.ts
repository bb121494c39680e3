import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { recordAudit } from '../../src/audit/audit-trail.js';
import { verifyAudit, writeCheckpoint } from '../../src/audit/checkpoints.js';
import { createShopDatabase, type ShopDatabase } from '../support/database.js';

const run = promisify(execFile);

// Issue 10, item 8 (PCI DSS v4.0.1 10.3.2, 10.3.4): the audit trail is append-only for every
// role, hash-chained, and pinned by Ed25519 checkpoints signed outside the database. `verify`
// names the first entry that cannot be trusted for each way of tampering.

let db: ShopDatabase;
let signing: KeyObject;
let verifyKey: KeyObject;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'admin-audit-'));
  const pair = generateKeyPairSync('ed25519');
  signing = pair.privateKey;
  verifyKey = pair.publicKey;
});
after(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every test starts from a fresh trail: 4 entries, a checkpoint, 3 more, a checkpoint. */
beforeEach(async () => {
  await db?.close();
  db = await createShopDatabase();
  for (let i = 1; i <= 7; i++) {
    await recordAudit(db.runtime, { action: 'order.viewed', target: `order-${i}`, outcome: 'ok', detail: { n: i } });
    if (i === 4 || i === 7) await writeCheckpoint(db.runtime, signing);
  }
});

/** An attacker with owner access, who can switch the append-only triggers off. */
async function asOwnerWithoutTriggers(sql: string, values: unknown[] = []) {
  const client = await db.owner.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE admin.audit_events DISABLE TRIGGER USER');
    await client.query(sql, values);
    await client.query('ALTER TABLE admin.audit_events ENABLE TRIGGER USER');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

describe('audit trail [C-044]', () => {
  it('verifies an untouched trail, chain and checkpoints', async () => {
    const result = await verifyAudit(db.runtime, verifyKey);
    assert.deepEqual(result, { ok: true, entries: 7, checkpoints: 2, unsignedTail: 0 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE even to the database owner (trigger)', async () => {
    await assert.rejects(db.owner.query(`UPDATE admin.audit_events SET outcome = 'denied'`), /append-only/);
    await assert.rejects(db.owner.query('DELETE FROM admin.audit_events WHERE seq = 7'), /append-only/);
    await assert.rejects(db.owner.query('TRUNCATE admin.audit_events'), /append-only/);
    await assert.rejects(db.owner.query('DELETE FROM admin.audit_checkpoints'), /append-only/);
  });

  it('names an edited entry', async () => {
    await asOwnerWithoutTriggers(`UPDATE admin.audit_events SET outcome = 'denied' WHERE seq = 3`);
    const result = await verifyAudit(db.runtime, verifyKey);
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, 3);
    assert.match(result.problem ?? '', /hash_mismatch/);
  });

  it('names the first entry of a deleted tail that a checkpoint had signed', async () => {
    await asOwnerWithoutTriggers('DELETE FROM admin.audit_events WHERE seq > 5');
    await db.owner.query(
      `UPDATE admin.audit_chain_head SET seq = 5, hash = (SELECT hash FROM admin.audit_events WHERE seq = 5)`,
    );
    const result = await verifyAudit(db.runtime, verifyKey);
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, 6);
    assert.match(result.problem ?? '', /6\.\.7 are missing/);
  });

  it('catches a chain recomputed after an edit by someone without the signing key', async () => {
    // Edit entry 6, then recompute every hash from there with the trigger's own canonical form.
    await asOwnerWithoutTriggers(`
      UPDATE admin.audit_events SET outcome = 'denied' WHERE seq = 6;
      DO $$ DECLARE r record; prev text; BEGIN
        SELECT hash INTO prev FROM admin.audit_events WHERE seq = 5;
        FOR r IN SELECT * FROM admin.audit_events WHERE seq >= 6 ORDER BY seq LOOP
          UPDATE admin.audit_events SET prev_hash = prev, hash = encode(sha256(convert_to(concat_ws(E'\\x1f',
            r.seq::text, to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            coalesce(r.staff_id::text, ''), coalesce(r.certificate_serial, ''), r.action, coalesce(r.target, ''),
            (SELECT outcome FROM admin.audit_events WHERE seq = r.seq), coalesce(r.source_ip, ''), r.detail::text, prev
          ), 'UTF8')), 'hex') WHERE seq = r.seq RETURNING hash INTO prev;
        END LOOP;
      END $$;`);
    const chainOnly = await verifyAudit(db.runtime, verifyKey).then((r) => r.problem ?? '');
    assert.doesNotMatch(chainOnly, /chain:/, 'the recomputed chain itself is consistent');
    const result = await verifyAudit(db.runtime, verifyKey);
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, 5, 'the first entry after the last checkpoint that still matches');
    assert.match(result.problem ?? '', /5\.\.7 were rewritten/);
  });

  it('refuses a checkpoint forged with another key', async () => {
    await recordAudit(db.runtime, { action: 'order.viewed', outcome: 'ok' });
    await writeCheckpoint(db.runtime, generateKeyPairSync('ed25519').privateKey);
    const result = await verifyAudit(db.runtime, verifyKey);
    assert.equal(result.ok, false);
    assert.match(result.problem ?? '', /bad signature/);
  });

  it('the verify command exits non-zero and names the broken entry', async () => {
    const keyFile = join(dir, 'verify.pem');
    await writeFile(keyFile, verifyKey.export({ type: 'spki', format: 'pem' }));
    const env = { ...process.env, ADMIN_DATABASE_URL: db.database.url, ADMIN_AUDIT_VERIFY_KEY_FILE: keyFile };
    const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'audit.ts');
    const ok = await run(process.execPath, ['--import', 'tsx', cli, 'verify'], { env });
    assert.match(ok.stdout, /intact: 7 entries, 2 signed checkpoints/);
    await asOwnerWithoutTriggers(`UPDATE admin.audit_events SET target = 'other' WHERE seq = 2`);
    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', cli, 'verify'], { env }),
      (err: { code: number; stdout: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stdout, /BROKEN at entry 2/);
        return true;
      },
    );
  });
});
