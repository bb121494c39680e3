// Every drizzle transaction on these pools gives its client back, also after a failed BEGIN.
import '@shop/shared/pg-transactions';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';

export type TokenizerDb = NodePgDatabase<typeof schema>;

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Applies migrations/*.sql in order, once each, under an advisory lock so replicas
 * starting together do not race; then (re)grants the runtime role exactly what it needs.
 */
export async function migrate(ownerUrl: string, runtimeRole: string): Promise<void> {
  if (!ROLE_NAME.test(runtimeRole)) throw new Error('TOKENIZER_DB_RUNTIME_ROLE is not a valid role name');
  const client = new pg.Client({ connectionString: ownerUrl });
  // Its errors reach the awaited query; unheard, an 'error' event would end the process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['vault-tokenizer:migrate']);
    await client.query(
      'CREATE TABLE IF NOT EXISTS tokenizer_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM tokenizer_migrations')).rows.map((r) => r.name),
    );
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(join(MIGRATIONS_DIR, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO tokenizer_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
    }
    await grantRuntimeRole(client, runtimeRole);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['vault-tokenizer:migrate']).catch(() => {});
    await client.end();
  }
}

/**
 * Least privilege (PCI DSS v4.0.1 7.2.5): the running service may read and add, may
 * delete tokens and erase subject keys, may take hourly quota uses, and may only append to
 * the audit trail.
 * Rewrapping provider keys (rotation) runs as the owner, from the rotation command.
 */
async function grantRuntimeRole(client: pg.Client, role: string): Promise<void> {
  // Roles are cluster-wide: another database's tokenizer may have created it already.
  await client.query(
    `DO $$ BEGIN CREATE ROLE ${role} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
  );
  await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await client.query(`GRANT SELECT, INSERT ON provider_wrapped_keys TO ${role}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE ON subject_keys TO ${role}`);
  await client.query(`GRANT SELECT, INSERT, DELETE ON tokens TO ${role}`);
  await client.query(`GRANT SELECT, INSERT ON audit_events TO ${role}`);
  await client.query(`GRANT SELECT ON key_rotations, audit_chain_head, tokenizer_migrations TO ${role}`);
  // Hourly bounds (erase, reveal): the runtime role takes uses and lets expired ones go.
  await client.query(`GRANT SELECT, INSERT, DELETE ON quota_uses TO ${role}`);
  await client.query(`GRANT EXECUTE ON FUNCTION take_quota(text[], integer[], interval) TO ${role}`);
}

export interface RuntimeDatabase {
  pool: pg.Pool;
  db: TokenizerDb;
  close(): Promise<void>;
}

/**
 * The runtime connection pool. With a dedicated login for the runtime role it is used as is;
 * otherwise every connection switches to the runtime role before its first query.
 */
export function openRuntimeDatabase(opts: { url: string; runtimeRole?: string; max?: number }): RuntimeDatabase {
  if (opts.runtimeRole !== undefined && !ROLE_NAME.test(opts.runtimeRole)) throw new Error('invalid runtime role');
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    // Set in the startup packet, so the role is in force before the connection's first query.
    ...(opts.runtimeRole ? { options: `-c role=${opts.runtimeRole}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor one checked out for a transaction: pg-pool listens only while a client is idle, and
  // the failure reaches the caller anyway as the rejection of its current or next query.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return { pool, db: drizzle(pool, { schema }), close: () => pool.end() };
}
