import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema>;

/**
 * A pool tuned to fail fast when PostgreSQL is unreachable, so requests answer 503 within
 * seconds instead of hanging, and the pool reconnects on its own when the server returns.
 */
export function createDatabase(url: string): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    query_timeout: 10_000,
    application_name: 'shop-api',
  });
  return { db: drizzle(pool, { schema }), pool };
}
