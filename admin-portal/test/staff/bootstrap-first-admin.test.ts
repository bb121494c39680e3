import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { registerStaffCertificate } from '../../src/staff/staff-certificates.js';
import { findStaffByCertificate } from '../../src/staff/staff-directory.js';
import { normaliseSerial } from '../../src/tls/revocation-guard.js';
import { createShopDatabase, type ShopDatabase } from '../support/database.js';

const run = promisify(execFile);
const MIGRATE_JOB = new URL('../../src/migrate.ts', import.meta.url).pathname;
const STAFF_CERTS = new URL('../../src/cli/staff-certs.ts', import.meta.url).pathname;

// compose.yaml's admin-portal-migrate registers the first staff member's certificate (written
// by `npm run secrets`) as an admin, once (PCI DSS v4.0.1 8.2.1, 8.2.2: one person per
// certificate, roles from the portal's tables): a deployment has a first admin without an
// owner connection in the portal, and later roles go through the portal with approval.

let dir: string;
let ca: DevCertificateAuthority;
let otherCa: DevCertificateAuthority;
let db: ShopDatabase;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'admin-bootstrap-'));
  ca = await new DevCertificateAuthority(join(dir, 'staff-ca'), 'Test Staff CA').init();
  otherCa = await new DevCertificateAuthority(join(dir, 'other-ca'), 'Another CA').init();
  db = await createShopDatabase();
});
after(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

async function migrateJob(env: Record<string, string>) {
  const runtime = new URL(db.database.url);
  runtime.username = 'shop_admin_portal';
  runtime.password = 'a-runtime-password-of-the-test';
  return run(process.execPath, ['--import', 'tsx', MIGRATE_JOB], {
    env: {
      PATH: process.env.PATH ?? '',
      ADMIN_DATABASE_URL: db.database.url,
      ADMIN_RUNTIME_DATABASE_URL: runtime.toString(),
      ...env,
    },
  });
}

async function identity(handle: string) {
  const x = new X509Certificate(await readFile(ca.certFile(handle)));
  return { serial: normaliseSerial(x.serialNumber), fingerprint256: x.fingerprint256 };
}

describe('admin-portal-migrate: the first staff certificate', () => {
  it('[C-045] registers the first staff certificate as an admin, once, and leaves it as it is on the next run', async () => {
    const issued = await ca.issue('first-admin');
    const env = { ADMIN_BOOTSTRAP_STAFF_CERT_FILE: issued.certFile, ADMIN_STAFF_CA_FILE: ca.caFile };
    const first = await migrateJob(env);
    assert.match(first.stdout, /registered the first staff certificate of first-admin .* as an admin/);
    const staff = await findStaffByCertificate(db.runtime, await identity('first-admin'));
    assert.equal(staff?.handle, 'first-admin');
    assert.deepEqual(staff?.roles, ['admin']);
    const again = await migrateJob(env);
    assert.match(again.stdout, /registered already/);
    const { rows } = await db.owner.query(
      `SELECT action FROM admin.audit_events WHERE target = 'first-admin' ORDER BY seq`,
    );
    assert.deepEqual(
      rows.map((r) => r.action),
      ['staff.certificate_issued', 'staff.role_bootstrapped'],
      'registered and bootstrapped once, both audited',
    );
  });

  it('[C-045] refuses a certificate that the staff CA did not sign, and registers nothing', async () => {
    const rogue = await otherCa.issue('mallory');
    await assert.rejects(
      migrateJob({ ADMIN_BOOTSTRAP_STAFF_CERT_FILE: rogue.certFile, ADMIN_STAFF_CA_FILE: ca.caFile }),
      (err: Error & { stderr: string }) => /not signed by the staff CA/.test(err.stderr),
    );
    const { rows } = await db.owner.query(`SELECT 1 FROM admin.staff WHERE handle = 'mallory'`);
    assert.equal(rows.length, 0);
  });

  it("[C-045] staff-certs register records a certificate of the operator's staff CA with no role", async () => {
    const issued = await ca.issue('operator-issued');
    const out = await run(
      process.execPath,
      ['--import', 'tsx', STAFF_CERTS, 'register', issued.certFile, '--name', 'Operator Issued'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ADMIN_DATABASE_URL: db.database.url,
          ADMIN_STAFF_CA_FILE: ca.caFile,
          ADMIN_STAFF_CA_DIR: join(dir, 'unused-dev-ca'),
        },
      },
    );
    assert.match(out.stdout, /registered operator-issued .*no role/);
    const staff = await findStaffByCertificate(db.runtime, await identity('operator-issued'));
    assert.equal(staff?.handle, 'operator-issued');
    assert.deepEqual(staff?.roles, []);
    const rogue = await otherCa.issue('rogue');
    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', STAFF_CERTS, 'register', rogue.certFile, '--name', 'R'], {
        env: { PATH: process.env.PATH ?? '', ADMIN_DATABASE_URL: db.database.url, ADMIN_STAFF_CA_FILE: ca.caFile },
      }),
      (err: Error & { stderr: string }) => /not signed by the staff CA/.test(err.stderr),
    );
  });

  it('[C-045] a bootstrap never makes a third admin: the two-person rule grants every later role', async () => {
    const second = await ca.issue('second-admin');
    const third = await ca.issue('third-admin');
    const pem = (f: string) => readFile(f, 'utf8');
    const issuerPem = await pem(ca.caFile);
    await registerStaffCertificate(db.owner, {
      certificatePem: await pem(second.certFile),
      issuerPem,
      displayName: 'Second',
      bootstrapAdmin: true,
    });
    await assert.rejects(
      registerStaffCertificate(db.owner, {
        certificatePem: await pem(third.certFile),
        issuerPem,
        displayName: 'Third',
        bootstrapAdmin: true,
      }),
      /two admins exist already/,
    );
    assert.equal(await findStaffByCertificate(db.runtime, await identity('third-admin')), undefined);
  });
});
