import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DevCertificateAuthority } from '@shop/shared/mtls';
import type pg from 'pg';
import { recordAudit } from '../audit/audit-trail.js';
import { normaliseSerial } from '../tls/revocation-guard.js';

const run = promisify(execFile);

export const HANDLE = /^[a-z][a-z0-9-]{1,62}$/;
export const DEFAULT_DAYS = 30;
/** A role grant needs a second admin's approval, so the first two admins are bootstrapped. */
export const BOOTSTRAP_ADMINS = 2;

export interface IssuedStaffCertificate {
  handle: string;
  serial: string;
  fingerprint256: string;
  notAfter: Date;
  certFile: string;
  keyFile: string;
  p12File: string;
  /** Shown once to the person importing the file; never stored. */
  importPassword: string;
}

/**
 * Issues a short-lived certificate naming one person (issue 10, item 2; PCI DSS v4.0.1 8.2.1)
 * and registers it for that person (`registerStaffCertificate`). Roles are not in the
 * certificate: they are granted in the portal, by a second person's approval.
 */
export async function issueStaffCertificate(
  ca: DevCertificateAuthority,
  db: pg.Pool,
  opts: { handle: string; displayName: string; days?: number | undefined; bootstrapAdmin?: boolean | undefined },
): Promise<IssuedStaffCertificate> {
  if (!HANDLE.test(opts.handle)) throw new Error('a handle is 2-63 characters: a-z, 0-9 and -, starting with a letter');
  const days = opts.days ?? DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 90) throw new Error('days must be between 1 and 90');
  const issued = await ca.issue(opts.handle, { days });
  let registered: RegisteredStaffCertificate;
  try {
    registered = await registerStaffCertificate(db, {
      certificatePem: await readFile(issued.certFile, 'utf8'),
      issuerPem: await readFile(ca.caFile, 'utf8'),
      displayName: opts.displayName,
      bootstrapAdmin: opts.bootstrapAdmin,
    });
  } catch (err) {
    await ca.revoke(opts.handle).catch(() => {});
    throw err;
  }
  const importPassword = randomBytes(18).toString('base64url');
  const p12File = join(ca.dir, opts.handle, 'staff.p12');
  // The password reaches openssl through its environment, never its command line (ps).
  await run(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      issued.certFile,
      '-inkey',
      issued.keyFile,
      '-certfile',
      ca.caFile,
      '-name',
      `${opts.handle} (shop staff)`,
      '-passout',
      'env:P12_PASSWORD',
      '-out',
      p12File,
    ],
    { env: { ...process.env, P12_PASSWORD: importPassword } },
  );
  await chmod(p12File, 0o600);
  return {
    ...registered,
    certFile: issued.certFile,
    keyFile: issued.keyFile,
    p12File,
    importPassword,
  };
}

export interface RegisteredStaffCertificate {
  handle: string;
  serial: string;
  fingerprint256: string;
  notAfter: Date;
  /** False when this certificate was registered already (nothing changed). */
  created: boolean;
}

/**
 * Registers a staff certificate (this CA's, or one the operator's PKI issued: compose.yaml's
 * `admin-portal-migrate` registers the first staff member's this way): its serial and
 * fingerprint, for the person its subject CN names. The certificate must be valid now and
 * signed by `issuerPem` (the staff CA; the portal's handshake accepts no other issuer). Again
 * with a registered certificate, it changes nothing. `bootstrapAdmin` grants the admin role
 * directly, only while fewer than two hold it (the first two admins have no one to approve
 * them; with one, the two-person rule could never grant anything).
 */
export async function registerStaffCertificate(
  db: pg.Pool,
  opts: { certificatePem: string; issuerPem: string; displayName: string; bootstrapAdmin?: boolean | undefined },
): Promise<RegisteredStaffCertificate> {
  const x509 = new X509Certificate(opts.certificatePem);
  const issuer = new X509Certificate(opts.issuerPem);
  if (!x509.checkIssued(issuer) || !x509.verify(issuer.publicKey))
    throw new Error('the certificate is not signed by the staff CA');
  const notAfter = new Date(x509.validTo);
  if (Date.now() < new Date(x509.validFrom).getTime() || Date.now() >= notAfter.getTime())
    throw new Error('the certificate is not valid now');
  const handle = /^CN=(.+)$/m.exec(x509.subject)?.[1] ?? '';
  if (!HANDLE.test(handle))
    throw new Error('the certificate subject CN must be a staff handle (2-63 characters: a-z, 0-9 and -)');
  const serial = normaliseSerial(x509.serialNumber);
  const result = { handle, serial, fingerprint256: x509.fingerprint256, notAfter };
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const known = await client.query('SELECT 1 FROM admin.staff_certificates WHERE serial = $1', [serial]);
    if ((known.rowCount ?? 0) > 0) {
      await client.query('ROLLBACK');
      return { ...result, created: false };
    }
    const staff = await client.query<{ id: string }>(
      `INSERT INTO admin.staff (handle, display_name) VALUES ($1, $2)
       ON CONFLICT (handle) DO UPDATE SET display_name = admin.staff.display_name RETURNING id`,
      [handle, opts.displayName],
    );
    const staffId = staff.rows[0]?.id as string;
    await client.query(
      `INSERT INTO admin.staff_certificates (serial, fingerprint256, staff_id, not_after) VALUES ($1, $2, $3, $4)`,
      [serial, x509.fingerprint256, staffId, notAfter],
    );
    await recordAudit(client, {
      action: 'staff.certificate_issued',
      target: handle,
      outcome: 'ok',
      certificateSerial: serial,
      detail: { days: Math.round((notAfter.getTime() - new Date(x509.validFrom).getTime()) / 86_400_000) },
    });
    if (opts.bootstrapAdmin) {
      // Serialised: two bootstraps at once must not both see one admin.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('admin-portal:bootstrap-admin'))`);
      const admins = await client.query(`SELECT 1 FROM admin.staff_roles WHERE role = 'admin'`);
      if ((admins.rowCount ?? 0) >= BOOTSTRAP_ADMINS)
        throw new Error('two admins exist already: roles are granted in the portal, with approval');
      await client.query(`INSERT INTO admin.staff_roles (staff_id, role) VALUES ($1, 'admin') ON CONFLICT DO NOTHING`, [
        staffId,
      ]);
      await recordAudit(client, {
        action: 'staff.role_bootstrapped',
        target: handle,
        outcome: 'ok',
        detail: { role: 'admin' },
      });
    }
    await client.query('COMMIT');
    return { ...result, created: true };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export interface StaffCertificateRow {
  handle: string;
  serial: string;
  notAfter: Date;
  revokedAt: Date | null;
  status: 'valid' | 'expired' | 'revoked';
}

export async function listStaffCertificates(db: pg.Pool): Promise<StaffCertificateRow[]> {
  const { rows } = await db.query<{ handle: string; serial: string; not_after: Date; revoked_at: Date | null }>(
    `SELECT s.handle, c.serial, c.not_after, c.revoked_at FROM admin.staff_certificates c
     JOIN admin.staff s ON s.id = c.staff_id ORDER BY s.handle, c.issued_at`,
  );
  const now = Date.now();
  return rows.map((r) => ({
    handle: r.handle,
    serial: r.serial,
    notAfter: r.not_after,
    revokedAt: r.revoked_at,
    status: r.revoked_at ? 'revoked' : r.not_after.getTime() <= now ? 'expired' : 'valid',
  }));
}

/**
 * Revokes a person's current certificate: the CRL (a running portal closes their connections
 * within one reload interval) and the registration (refused at once by the identity lookup).
 */
export async function revokeStaffCertificate(
  ca: DevCertificateAuthority,
  db: pg.Pool,
  handle: string,
): Promise<string> {
  if (!HANDLE.test(handle)) throw new Error('not a staff handle');
  const x509 = new X509Certificate(await readFile(ca.certFile(handle)));
  const serial = normaliseSerial(x509.serialNumber);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      'UPDATE admin.staff_certificates SET revoked_at = now() WHERE serial = $1 AND revoked_at IS NULL',
      [serial],
    );
    await recordAudit(client, {
      action: 'staff.certificate_revoked',
      target: handle,
      outcome: 'ok',
      certificateSerial: serial,
    });
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  await ca.revoke(handle);
  return serial;
}
