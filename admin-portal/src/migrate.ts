import { loadConfig } from '@shop/shared/config';
import pg from 'pg';
import Type from 'typebox';
import { migrate, RUNTIME_ROLE } from './db/database.js';

/**
 * The one-shot migration job of compose.yaml (`admin-portal-migrate`, after the api's): applies
 * the portal's migrations as the owner and gives shop_admin_portal the password of the portal's
 * runtime URL. The portal itself then runs with ADMIN_MIGRATIONS=external and no owner credentials.
 */
const MigrateJobSchema = Type.Object({
  ADMIN_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  ADMIN_RUNTIME_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
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
}

main().catch((err: Error) => {
  console.error(`[admin-portal-migrate] failed: ${err.name}: ${err.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
  process.exitCode = 1;
});
