import { readFile } from 'node:fs/promises';
import { loadConfig } from '@shop/shared/config';
import pg from 'pg';
import Type from 'typebox';
import { migrate, RUNTIME_ROLE } from './db/database.js';
import { registerStaffCertificate } from './staff/staff-certificates.js';

/**
 * The one-shot migration job of compose.yaml (`admin-portal-migrate`, after the api's): applies
 * the portal's migrations as the owner and gives shop_admin_portal the password of the portal's
 * runtime URL. The portal itself then runs with ADMIN_MIGRATIONS=external and no owner credentials.
 * With ADMIN_BOOTSTRAP_STAFF_CERT (the first staff member's certificate, from `npm run secrets`
 * or the operator's PKI), it also registers that certificate and bootstraps its holder as an
 * admin, once: a registered certificate is left as it is, and a third admin is refused.
 */
const MigrateJobSchema = Type.Object({
  ADMIN_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  ADMIN_RUNTIME_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  ADMIN_BOOTSTRAP_STAFF_CERT: Type.Optional(Type.String({ pattern: '^-----BEGIN CERTIFICATE-----' })),
  ADMIN_BOOTSTRAP_STAFF_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** Path of the staff CA's certificate: the bootstrap certificate must be its. */
  ADMIN_STAFF_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
});

async function main(): Promise<void> {
  const config = loadConfig(MigrateJobSchema);
  const runtime = new URL(config.ADMIN_RUNTIME_DATABASE_URL);
  const password = decodeURIComponent(runtime.password);
  if (decodeURIComponent(runtime.username) !== RUNTIME_ROLE)
    throw new Error(`ADMIN_RUNTIME_DATABASE_URL must connect as ${RUNTIME_ROLE}`);
  if (password.length < 16)
    throw new Error('ADMIN_RUNTIME_DATABASE_URL must carry a password of 16 characters or more');
  await migrate(config.ADMIN_DATABASE_URL);
  const client = new pg.Client({
    connectionString: config.ADMIN_DATABASE_URL,
    application_name: 'admin-portal-migrate',
  });
  await client.connect();
  try {
    const literal = (await client.query<{ q: string }>('select quote_literal($1) as q', [password])).rows[0]?.q;
    await client.query(`ALTER ROLE ${RUNTIME_ROLE} PASSWORD ${literal}`);
  } finally {
    await client.end();
  }
  console.log(`[admin-portal-migrate] migrations applied; password set for ${RUNTIME_ROLE}`);
  if (config.ADMIN_BOOTSTRAP_STAFF_CERT) {
    if (!config.ADMIN_STAFF_CA_FILE) throw new Error('ADMIN_BOOTSTRAP_STAFF_CERT needs ADMIN_STAFF_CA_FILE');
    const pool = new pg.Pool({ connectionString: config.ADMIN_DATABASE_URL, max: 1 });
    try {
      const r = await registerStaffCertificate(pool, {
        certificatePem: config.ADMIN_BOOTSTRAP_STAFF_CERT,
        issuerPem: await readFile(config.ADMIN_STAFF_CA_FILE, 'utf8'),
        displayName: config.ADMIN_BOOTSTRAP_STAFF_NAME ?? 'First admin',
        bootstrapAdmin: true,
      });
      console.log(
        r.created
          ? `[admin-portal-migrate] registered the first staff certificate of ${r.handle} (serial ${r.serial}) as an admin`
          : `[admin-portal-migrate] the first staff certificate of ${r.handle} is registered already`,
      );
    } finally {
      await pool.end();
    }
  }
}

main().catch((err: Error) => {
  console.error(`[admin-portal-migrate] failed: ${err.name}: ${err.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
  process.exitCode = 1;
});
