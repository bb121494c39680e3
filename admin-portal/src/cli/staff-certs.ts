import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import pg from 'pg';
import { DEV_STAFF_CA_DIR, loadAdminConfig } from '../config.js';
import { migrate } from '../db/database.js';
import {
  issueStaffCertificate,
  listStaffCertificates,
  registerStaffCertificate,
  revokeStaffCertificate,
} from '../staff/staff-certificates.js';

const USAGE = `usage:
  staff-certs issue <handle> --name "<full name>" [--days 30] [--bootstrap-admin]
  staff-certs register <certificate.pem> --name "<full name>"
  staff-certs list
  staff-certs revoke <handle>
Development staff CA in ${DEV_STAFF_CA_DIR} (ADMIN_STAFF_CA_DIR overrides); production
certificates come from the operator's PKI: \`register\` records one signed by the staff CA
(ADMIN_STAFF_CA_FILE) for the person its subject CN names.`;

/**
 * Staff certificates (issue 10, item 2): issue (PKCS#12 file plus a one-time import password),
 * list and revoke. Runs as the database owner, like migrations: an operator's tool.
 */
async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      days: { type: 'string' },
      'bootstrap-admin': { type: 'boolean', default: false },
    },
  });
  const [command, handle] = positionals;
  const config = loadAdminConfig();
  // The development CA issues and revokes; registering needs only the staff CA's certificate.
  const devCa = () =>
    new DevCertificateAuthority(process.env.ADMIN_STAFF_CA_DIR ?? DEV_STAFF_CA_DIR, 'Shop Staff CA').init();
  await migrate(config.ADMIN_DATABASE_URL);
  const db = new pg.Pool({ connectionString: config.ADMIN_DATABASE_URL, max: 2 });
  try {
    switch (command) {
      case 'issue': {
        if (!handle || !values.name) throw new Error(USAGE);
        const issued = await issueStaffCertificate(await devCa(), db, {
          handle,
          displayName: values.name,
          days: values.days ? Number(values.days) : undefined,
          bootstrapAdmin: values['bootstrap-admin'],
        });
        console.log(
          `issued a staff certificate for ${issued.handle} (serial ${issued.serial}), valid until ${issued.notAfter.toISOString()}`,
        );
        console.log(`PKCS#12 file: ${issued.p12File}`);
        console.log(`one-time import password: ${issued.importPassword}`);
        console.log('(the password is not stored anywhere: import the file now, then delete it)');
        break;
      }
      case 'register': {
        if (!handle || !values.name) throw new Error(USAGE);
        const r = await registerStaffCertificate(db, {
          certificatePem: await readFile(handle, 'utf8'),
          issuerPem: await readFile(config.ADMIN_STAFF_CA_FILE, 'utf8'),
          displayName: values.name,
        });
        console.log(
          r.created
            ? `registered ${r.handle} (serial ${r.serial}), valid until ${r.notAfter.toISOString()}; no role: grant one in the portal`
            : `${r.handle} (serial ${r.serial}) is registered already`,
        );
        break;
      }
      case 'list':
        for (const c of await listStaffCertificates(db)) {
          console.log(`${c.handle}\t${c.serial}\t${c.notAfter.toISOString()}\t${c.status}`);
        }
        break;
      case 'revoke': {
        if (!handle) throw new Error(USAGE);
        const ca = await devCa();
        const serial = await revokeStaffCertificate(ca, db, handle);
        console.log(`revoked ${handle} (serial ${serial}); CRL written to ${ca.crlFile}`);
        break;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await db.end();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
