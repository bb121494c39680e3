import { createTestDatabase } from '@shop/shared/test-harness';
import { createDatabase } from '../../api/src/db/client.js';
import { runMigrations } from '../../api/src/db/migrate.js';
import { runtimeUrl } from '../../api/src/db/roles.js';
import { seedCatalogue } from '../../api/src/db/seed/seed-catalogue.js';

export interface BenchDatabase {
  /** Owner URL (migrations, seeding). */
  ownerUrl: string;
  /** What both apps connect with: the api's least-privilege runtime role. */
  runtimeUrl: string;
  products: number;
  drop(): Promise<void>;
}

/**
 * A database of its own on the shared PostgreSQL, migrated and seeded with the catalogue;
 * `drop()` removes it. Both apps of a bench read this same database.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const database = await createTestDatabase('bench');
  try {
    await runMigrations(database.url);
    const owner = createDatabase(database.url);
    let products: number;
    try {
      products = await seedCatalogue(owner.db);
    } finally {
      await owner.pool.end();
    }
    return { ownerUrl: database.url, runtimeUrl: runtimeUrl(database.url), products, drop: () => database.drop() };
  } catch (err) {
    await database.drop();
    throw err;
  }
}
