import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { type ChainRow, findChainBreak } from './chain.js';

/**
 * Signed checkpoints (issue 10, item 8; PCI DSS v4.0.1 10.3.2, 10.3.4). A hash chain alone
 * misses a deleted tail, and anyone with database access can recompute it after an edit. An
 * Ed25519 signature over the entry count and chain head, made with a key that is not in the
 * database, pins both: deleting signed entries or rewriting them is detected by `verify`.
 * Entries after the latest checkpoint are covered by the chain only (at most one interval).
 */
const DOMAIN = 'shop-admin-audit-checkpoint-v1';

export async function loadSigningKey(file: string): Promise<KeyObject> {
  const key = createPrivateKey(await readFile(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  return key;
}

export async function loadVerifyKey(file: string): Promise<KeyObject> {
  const key = createPublicKey(await readFile(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 key`);
  return key;
}

export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function message(count: number, headHash: string, signedAt: string, id: string): Buffer {
  return Buffer.from([DOMAIN, String(count), headHash, signedAt, id].join('\x1f'), 'utf8');
}

export interface Checkpoint {
  entryCount: number;
  headHash: string;
}

/** Signs the current head, unless the latest checkpoint already covers it. */
export async function writeCheckpoint(db: pg.Pool, key: KeyObject): Promise<Checkpoint | undefined> {
  const head = (await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM admin.audit_chain_head')).rows[0];
  if (!head || head.seq === '0') return undefined;
  const last = await db.query<{ entry_count: string }>(
    'SELECT entry_count FROM admin.audit_checkpoints ORDER BY id DESC LIMIT 1',
  );
  if (last.rows[0]?.entry_count === head.seq) return undefined;
  const signedAt = new Date().toISOString();
  const id = keyId(key);
  const count = Number(head.seq);
  const signature = sign(null, message(count, head.hash, signedAt, id), key).toString('base64');
  await db.query(
    `INSERT INTO admin.audit_checkpoints (entry_count, head_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)`,
    [count, head.hash, signedAt, id, signature],
  );
  return { entryCount: count, headHash: head.hash };
}

/** Checkpoints on a schedule; a failed one is logged and retried at the next tick. */
export function scheduleCheckpoints(
  db: pg.Pool,
  key: KeyObject,
  intervalMs: number,
  log: { error(o: object, m: string): void; info(o: object, m: string): void },
): () => void {
  const tick = () =>
    writeCheckpoint(db, key).then(
      (c) =>
        c && log.info({ event: 'admin.audit_checkpoint', checkpointEntries: c.entryCount }, 'audit checkpoint signed'),
      (err) => log.error({ err }, 'audit checkpoint failed'),
    );
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Entries after the latest valid checkpoint: protected by the chain only. */
  unsignedTail: number;
  /** The first entry that cannot be trusted. */
  brokenAt?: number;
  problem?: string;
}

/**
 * Checks the chain and every checkpoint; names the first entry that cannot be trusted. For a
 * chain recomputed after an edit, the edit cannot be located more precisely than "after the
 * last checkpoint that still matches", so that is the entry named.
 */
export async function verifyAudit(db: pg.Pool, verifyKey: KeyObject): Promise<VerifyResult> {
  const { rows } = await db.query<{
    seq: string;
    occurred: string;
    staff_id: string;
    serial: string;
    action: string;
    target: string;
    outcome: string;
    source_ip: string;
    detail: string;
    prev_hash: string;
    hash: string;
  }>(
    `SELECT seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred,
            coalesce(staff_id::text, '') AS staff_id, coalesce(certificate_serial, '') AS serial, action,
            coalesce(target, '') AS target, outcome, coalesce(source_ip, '') AS source_ip, detail::text AS detail,
            prev_hash, hash
     FROM admin.audit_events ORDER BY seq`,
  );
  const chain: ChainRow[] = rows.map((r) => ({
    seq: Number(r.seq),
    fields: [r.occurred, r.staff_id, r.serial, r.action, r.target, r.outcome, r.source_ip, r.detail],
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
  const checkpoints = (
    await db.query<{
      id: string;
      entry_count: string;
      head_hash: string;
      signed_at: Date;
      key_id: string;
      signature: string;
    }>('SELECT id, entry_count, head_hash, signed_at, key_id, signature FROM admin.audit_checkpoints ORDER BY id')
  ).rows;
  const base = { entries: chain.length, checkpoints: checkpoints.length };
  const broken = findChainBreak(chain);
  if (broken) return { ok: false, ...base, unsignedTail: 0, brokenAt: broken.seq, problem: `chain: ${broken.problem}` };

  const expectedId = keyId(verifyKey);
  let trustedUpTo = 0;
  for (const c of checkpoints) {
    const count = Number(c.entry_count);
    const signed = verify(
      null,
      message(count, c.head_hash, c.signed_at.toISOString(), c.key_id),
      verifyKey,
      Buffer.from(c.signature, 'base64'),
    );
    if (c.key_id !== expectedId || !signed) {
      return {
        ok: false,
        ...base,
        unsignedTail: 0,
        brokenAt: trustedUpTo + 1,
        problem: `checkpoint ${c.id}: bad signature`,
      };
    }
    if (count < trustedUpTo) {
      return { ok: false, ...base, unsignedTail: 0, brokenAt: count + 1, problem: `checkpoint ${c.id}: out of order` };
    }
    if (count > chain.length) {
      return {
        ok: false,
        ...base,
        unsignedTail: 0,
        brokenAt: chain.length + 1,
        problem: `checkpoint ${c.id}: entries ${chain.length + 1}..${count} are missing`,
      };
    }
    if (chain[count - 1]?.hash !== c.head_hash) {
      return {
        ok: false,
        ...base,
        unsignedTail: 0,
        brokenAt: trustedUpTo + 1,
        problem: `checkpoint ${c.id}: entries ${trustedUpTo + 1}..${count} were rewritten`,
      };
    }
    trustedUpTo = count;
  }
  return { ok: true, ...base, unsignedTail: chain.length - trustedUpTo };
}
