import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { standaloneClient } from './client.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Applies every pending migration, connected as the owner (the only role allowed DDL). */
export async function runMigrations(ownerUrl: string): Promise<void> {
  const client = standaloneClient({ connectionString: ownerUrl, application_name: 'shop-api-migrate' });
  await client.connect();
  try {
    // One migrator at a time per database, even with several replicas starting together.
    await client.query('select pg_advisory_lock(724100001)');
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.end();
  }
}
