import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import type pg from 'pg';

/**
 * TOTP second factor (issue 10, item 3). The secret is stored encrypted (AES-256-GCM under a
 * key outside the database, bound to the staff id), a code is accepted once only (the time
 * step is recorded and must grow: PCI DSS v4.0.1 8.5.1 replay), and 10 failures lock the
 * account for 30 minutes (8.3.4).
 */
export const MAX_FAILURES = 10;
export const LOCK_MS = 30 * 60 * 1000;
const ISSUER = 'Shop staff portal';

export function encryptSecret(key: Buffer, staffId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(staffId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(
    '.',
  );
}

export function decryptSecret(key: Buffer, staffId: string, stored: string): string {
  const [version, iv, body, tag] = stored.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('unknown TOTP secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(staffId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

export type TotpState = 'none' | 'unconfirmed' | 'confirmed';

export async function totpState(db: pg.Pool, staffId: string): Promise<TotpState> {
  const { rows } = await db.query<{ confirmed: boolean }>(
    'SELECT confirmed_at IS NOT NULL AS confirmed FROM admin.totp_factors WHERE staff_id = $1',
    [staffId],
  );
  if (!rows[0]) return 'none';
  return rows[0].confirmed ? 'confirmed' : 'unconfirmed';
}

/**
 * A new secret for someone without a confirmed factor. Each call replaces the unconfirmed
 * one, so a QR code shown earlier (and perhaps seen by someone else) stops working.
 */
export async function startEnrolment(
  db: pg.Pool,
  key: Buffer,
  staff: { id: string; handle: string },
): Promise<{ secret: string; uri: string } | undefined> {
  const secret = generateSecret();
  const { rowCount } = await db.query(
    `INSERT INTO admin.totp_factors (staff_id, secret_ciphertext) VALUES ($1, $2)
     ON CONFLICT (staff_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext
     WHERE admin.totp_factors.confirmed_at IS NULL`,
    [staff.id, encryptSecret(key, staff.id, secret)],
  );
  if (!rowCount) return undefined;
  return { secret, uri: generateURI({ issuer: ISSUER, label: staff.handle, secret }) };
}

export type CodeOutcome = 'ok' | 'invalid' | 'replayed' | 'locked' | 'locked_now' | 'not_enrolled';

/**
 * Checks a code, counting failures and recording the accepted time step in one transaction
 * (row locks), so two concurrent requests cannot both use one code or both slip under the
 * failure limit. `enrolment` accepts the first code of an unconfirmed secret and confirms it.
 */
export async function checkCode(
  db: pg.Pool,
  key: Buffer,
  staffId: string,
  code: string,
  nowMs: number,
  opts: { enrolment?: boolean } = {},
): Promise<CodeOutcome> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO admin.login_failures (staff_id) VALUES ($1) ON CONFLICT (staff_id) DO NOTHING', [
      staffId,
    ]);
    const failures = (
      await client.query<{ failures: number; locked_until: Date | null }>(
        'SELECT failures, locked_until FROM admin.login_failures WHERE staff_id = $1 FOR UPDATE',
        [staffId],
      )
    ).rows[0];
    if (failures?.locked_until && failures.locked_until.getTime() > nowMs) {
      await client.query('COMMIT');
      return 'locked';
    }
    const factor = (
      await client.query<{ secret_ciphertext: string; confirmed: boolean; last_step: string }>(
        `SELECT secret_ciphertext, confirmed_at IS NOT NULL AS confirmed, last_step
         FROM admin.totp_factors WHERE staff_id = $1 FOR UPDATE`,
        [staffId],
      )
    ).rows[0];
    if (!factor || factor.confirmed === Boolean(opts.enrolment)) {
      await client.query('COMMIT');
      return 'not_enrolled';
    }
    const secret = decryptSecret(key, staffId, factor.secret_ciphertext);
    const result = /^\d{6}$/.test(code)
      ? await verify({ secret, token: code, epoch: Math.floor(nowMs / 1000), epochTolerance: 30 })
      : ({ valid: false } as const);
    // The matched RFC 6238 time step: must be later than the last accepted one (no replay).
    const step = result.valid ? (result as unknown as { timeStep: number }).timeStep : 0;
    let outcome: CodeOutcome;
    if (result.valid && step > Number(factor.last_step)) {
      await client.query(
        `UPDATE admin.totp_factors SET last_step = $2, confirmed_at = coalesce(confirmed_at, now()) WHERE staff_id = $1`,
        [staffId, step],
      );
      await client.query('UPDATE admin.login_failures SET failures = 0, locked_until = NULL WHERE staff_id = $1', [
        staffId,
      ]);
      outcome = 'ok';
    } else {
      const count = (failures?.failures ?? 0) + 1;
      const lock = count >= MAX_FAILURES;
      await client.query('UPDATE admin.login_failures SET failures = $2, locked_until = $3 WHERE staff_id = $1', [
        staffId,
        lock ? 0 : count,
        lock ? new Date(nowMs + LOCK_MS) : null,
      ]);
      outcome = lock ? 'locked_now' : result.valid ? 'replayed' : 'invalid';
    }
    await client.query('COMMIT');
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
