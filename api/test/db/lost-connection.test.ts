import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDatabase } from '@shop/shared/test-harness';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { createDatabase, isDatabaseConnectionError } from '../../src/db/client.js';

describe('the shop pool after a lost connection (issue 9 item 1: a process survives PostgreSQL going away, and still stops)', () => {
  it('gets back a client that lost its connection between checkout and BEGIN (drizzle alone never releases it), and ends', {
    timeout: 60_000,
  }, async (t) => {
    const database = await createTestDatabase('enddb');
    t.after(() => database.drop());
    const { db, pool } = createDatabase(database.url, { max: 2 });
    // The connection dies right after checkout, before drizzle's BEGIN (as a restart or failover
    // does): the backend is terminated by a statement queued ahead of BEGIN on the same client.
    pool.once('acquire', (client: pg.PoolClient) => {
      client.query('select pg_terminate_backend(pg_backend_pid())').catch(() => {});
    });
    const failed = await db.transaction((tx) => tx.execute(sql`select 1`)).catch((err: unknown) => err);
    assert.ok(isDatabaseConnectionError(failed), `the transaction failed on the lost connection: ${String(failed)}`);
    // shared/src/pg-transactions.ts: released and destroyed, not left checked out for good.
    assert.equal(pool.totalCount - pool.idleCount, 0, 'no client is left checked out');
    assert.equal((await db.transaction((tx) => tx.execute(sql`select 1 as one`))).rows[0]?.one, 1);
    // A client left checked out would make pool.end() wait for ever.
    await pool.end();
    assert.equal(pool.totalCount, 0);
  });
});
