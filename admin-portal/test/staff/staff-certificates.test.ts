import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import {
  issueStaffCertificate,
  listStaffCertificates,
  revokeStaffCertificate,
} from '../../src/staff/staff-certificates.js';
import { findStaffByCertificate } from '../../src/staff/staff-directory.js';
import { normaliseSerial, revokedSerials } from '../../src/tls/revocation-guard.js';
import { createShopDatabase, type ShopDatabase } from '../support/database.js';

const run = promisify(execFile);

// Issue 10, item 2 (PCI DSS v4.0.1 8.2.1, 8.2.2): a staff certificate names one person, is
// short-lived, and carries no role: roles come from the portal's tables, keyed by serial and
// fingerprint of a registered, unrevoked certificate.

let dir: string;
let ca: DevCertificateAuthority;
let db: ShopDatabase;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'admin-staff-certs-'));
  ca = await new DevCertificateAuthority(join(dir, 'staff-ca'), 'Test Staff CA').init();
  db = await createShopDatabase();
});
after(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

async function certOf(handle: string) {
  const x = new X509Certificate(await readFile(ca.certFile(handle)));
  return { serial: normaliseSerial(x.serialNumber), fingerprint256: x.fingerprint256, x };
}

describe('staff-certs issue', () => {
  it('issues a 30-day certificate naming one person, with a PKCS#12 file opened only by its one-time password', async () => {
    const issued = await issueStaffCertificate(ca, db.owner, {
      handle: 'ada',
      displayName: 'Ada L.',
      bootstrapAdmin: true,
    });
    const x = new X509Certificate(await readFile(issued.certFile));
    assert.equal(x.subject, 'CN=ada');
    const days = (new Date(x.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `valid for ${days} days`);
    assert.equal((await stat(issued.p12File)).mode & 0o077, 0, 'the PKCS#12 file is readable by its owner only');
    const ok = await run('openssl', ['pkcs12', '-in', issued.p12File, '-nokeys', '-passin', 'env:P'], {
      env: { ...process.env, P: issued.importPassword },
    });
    assert.match(ok.stdout, /BEGIN CERTIFICATE/);
    await assert.rejects(
      run('openssl', ['pkcs12', '-in', issued.p12File, '-nokeys', '-passin', 'env:P'], {
        env: { ...process.env, P: 'wrong' },
      }),
    );
    const staff = await findStaffByCertificate(db.runtime, await certOf('ada'));
    assert.deepEqual(staff?.roles, ['admin']);
    assert.equal(staff?.handle, 'ada');
  });

  it('bootstraps a second admin (two are needed to approve a grant) and refuses a third: later roles need a second person', async () => {
    await issueStaffCertificate(ca, db.owner, { handle: 'grace', displayName: 'G', bootstrapAdmin: true });
    await assert.rejects(
      issueStaffCertificate(ca, db.owner, { handle: 'mallory', displayName: 'M', bootstrapAdmin: true }),
      /two admins exist already/,
    );
    const { rows } = await db.owner.query(`SELECT 1 FROM admin.staff WHERE handle = 'mallory'`);
    assert.equal(rows.length, 0, 'nothing half-done');
  });

  it('refuses more than 90 days and handles that are not one plain name', async () => {
    await assert.rejects(issueStaffCertificate(ca, db.owner, { handle: 'bob', displayName: 'B', days: 365 }), /days/);
    await assert.rejects(issueStaffCertificate(ca, db.owner, { handle: 'Bob Smith', displayName: 'B' }), /handle/);
    await assert.rejects(issueStaffCertificate(ca, db.owner, { handle: 'x/../y', displayName: 'B' }), /handle/);
  });
});

describe('roles come from the portal tables, never from the certificate', () => {
  it('a staff-CA certificate whose subject names an admin, but that nobody registered, is nobody', async () => {
    await ca.issue('ada-copy');
    const rogue = await certOf('ada-copy');
    assert.equal(await findStaffByCertificate(db.runtime, rogue), undefined);
    const real = await certOf('ada');
    assert.equal(
      await findStaffByCertificate(db.runtime, { serial: real.serial, fingerprint256: rogue.fingerprint256 }),
      undefined,
      'the serial alone is not enough: the fingerprint must match too',
    );
  });

  it('a disabled staff member is nobody, whatever certificate they hold', async () => {
    await issueStaffCertificate(ca, db.owner, { handle: 'dan', displayName: 'Dan' });
    const dan = await certOf('dan');
    assert.ok(await findStaffByCertificate(db.runtime, dan));
    await db.owner.query(`UPDATE admin.staff SET status = 'disabled' WHERE handle = 'dan'`);
    assert.equal(await findStaffByCertificate(db.runtime, dan), undefined);
  });
});

describe('staff-certs revoke and list', () => {
  it('revokes in the registration and in the CRL, lists the certificate as revoked, and audits it', async () => {
    await issueStaffCertificate(ca, db.owner, { handle: 'eve', displayName: 'Eve' });
    const eve = await certOf('eve');
    await revokeStaffCertificate(ca, db.owner, 'eve');
    assert.equal(await findStaffByCertificate(db.runtime, eve), undefined);
    assert.ok((await revokedSerials(ca.crlFile)).has(eve.serial));
    const listed = (await listStaffCertificates(db.owner)).find((c) => c.serial === eve.serial);
    assert.equal(listed?.status, 'revoked');
    const audit = await db.owner.query(`SELECT action FROM admin.audit_events WHERE target = 'eve' ORDER BY seq`);
    assert.deepEqual(
      audit.rows.map((r) => r.action),
      ['staff.certificate_issued', 'staff.certificate_revoked'],
    );
  });
});
