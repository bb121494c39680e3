import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@shop/shared/test-harness';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Database } from '../../../src/db/client.js';
import * as schema from '../../../src/db/schema/index.js';
import { seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

export interface SeededDatabase {
  url: string;
  db: Database;
  /** Closes the pool and drops the database: call it from the file's `after` hook. */
  close(): Promise<void>;
}

/**
 * A fresh database for one test file (or suite): migrated, seeded with the catalogue,
 * and dropped by `close()`, so files never share rows.
 */
export async function seededDatabase(prefix: string): Promise<SeededDatabase> {
  const database = await createTestDatabase(prefix);
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  const close = async () => {
    await pool.end();
    await database.drop();
  };
  const db = drizzle(pool, { schema });
  try {
    await migrate(db, { migrationsFolder });
    await seedCatalogue(db);
  } catch (err) {
    await close();
    throw err;
  }
  return { url: database.url, db, close };
}

/** Inserts a shopper directly (sign-up itself is tested with the auth routes). */
export async function insertUser(db: Database, label: string): Promise<string> {
  const [user] = await db
    .insert(schema.users)
    .values({ emailBlindIndex: `bi-${label}-${Math.random().toString(36).slice(2)}`, passwordHash: 'not-a-real-hash' })
    .returning({ id: schema.users.id });
  if (!user) throw new Error('user insert returned nothing');
  return user.id;
}
