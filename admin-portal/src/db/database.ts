import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The portal's least-privilege role (migrations/0002_runtime_role.sql). */
export const RUNTIME_ROLE = 'shop_admin_portal';
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/**
 * Applies admin-portal/migrations/*.sql in order, once each, as the database owner, under an
 * advisory lock so replicas starting together do not race. Runs after the shop api's
 * migrations (the grants name the shop's tables).
 */
export async function migrate(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'admin-portal-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['admin-portal:migrate']);
    await client.query(
      'CREATE TABLE IF NOT EXISTS public.admin_portal_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM public.admin_portal_migrations')).rows.map((r) => r.name),
    );
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(join(MIGRATIONS_DIR, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO public.admin_portal_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['admin-portal:migrate']).catch(() => {});
    await client.end();
  }
}

/**
 * The runtime pool. With a login URL of the runtime role it is used as is; given the owner's
 * URL (development, tests) every connection switches to the runtime role in its startup packet,
 * before its first query.
 */
export function openRuntimePool(opts: { url: string; switchRole?: boolean; max?: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 3_000,
    query_timeout: 10_000,
    application_name: 'admin-portal',
    ...(opts.switchRole ? { options: `-c role=${RUNTIME_ROLE}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}
