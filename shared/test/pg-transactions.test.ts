import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import '../src/pg-transactions.js';
import { ADMIN_DATABASE_URL } from '../src/test-harness.js';

/**
 * A one-client pool whose next statement starting with `failing` rejects as a connection lost
 * between checkout and that statement does (a PostgreSQL restart or failover).
 */
function flakyPool() {
  const pool = new pg.Pool({ connectionString: ADMIN_DATABASE_URL, max: 1, connectionTimeoutMillis: 2_000 });
  const state: { failing?: string } = {};
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((config: unknown, ...rest: unknown[]) => {
      const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
      if (state.failing && text?.trim().toLowerCase().startsWith(state.failing)) {
        state.failing = undefined;
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      return query(config, ...rest);
    }) as typeof client.query;
  });
  return { pool, db: drizzle(pool), state };
}

async function backendPid(db: ReturnType<typeof drizzle>): Promise<number> {
  return db.transaction(async (tx) => {
    const result = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    return Number(result.rows[0]?.pid);
  });
}

// A leaked client makes pool.end() wait forever: the timeout turns that hang into a failure.
describe('drizzle transactions give their pooled client back after a connection loss (ASVS 11.1.4, availability)', {
  timeout: 20_000,
}, () => {
  it('a BEGIN that fails releases and destroys its client: the next transaction on a one-client pool runs, and the pool ends', async () => {
    const { pool, db, state } = flakyPool();
    try {
      const before = await backendPid(db);
      state.failing = 'begin';
      await assert.rejects(
        db.transaction(async (tx) => tx.execute(sql`select 1`)),
        /Connection terminated unexpectedly|Failed query: begin/,
      );
      // With the client leaked, this checkout waits for a client that never comes back.
      const after = await backendPid(db);
      assert.notEqual(after, before, 'a client whose BEGIN failed is never handed out again');
    } finally {
      await pool.end();
    }
  });

  it('a ROLLBACK that fails destroys its client, and the caller sees its own error, not the rollback error', async () => {
    const { pool, db, state } = flakyPool();
    try {
      const before = await backendPid(db);
      state.failing = 'rollback';
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          throw new Error('the handler failed');
        }),
        /the handler failed/,
      );
      const after = await backendPid(db);
      assert.notEqual(after, before, 'a client whose ROLLBACK failed may be mid-transaction or dead');
    } finally {
      await pool.end();
    }
  });

  it('keeps commits, rollbacks, savepoints and connection reuse as they were', async () => {
    const { pool, db } = flakyPool();
    try {
      const before = await backendPid(db);
      const value = await db.transaction(async (tx) => {
        const inner = await tx.transaction(
          async (sp) => (await sp.execute<{ n: number }>(sql`select 41 + 1 as n`)).rows[0]?.n,
        );
        return Number(inner);
      });
      assert.equal(value, 42);
      await assert.rejects(
        db.transaction(async () => {
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal(await backendPid(db), before, 'a healthy client goes back to the pool');
    } finally {
      await pool.end();
    }
  });
});
