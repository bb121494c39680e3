import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDatabase } from '@shop/shared/test-harness';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { createDatabase, endDatabase, isDatabaseConnectionError } from '../../src/db/client.js';

describe('endDatabase (issue 9 item 1: a process survives PostgreSQL going away, and still stops)', () => {
  it('ends a pool whose client lost its connection between checkout and BEGIN, which drizzle never releases', {
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
    assert.equal(pool.totalCount - pool.idleCount, 1, 'drizzle left the dead client checked out');

    // pool.end() alone would wait for that client for ever; endDatabase releases it first.
    await endDatabase(pool);
    assert.equal(pool.totalCount, 0);
  });

  it('leaves a healthy checked-out client to its user: the pool ends once that user releases it', async (t) => {
    const database = await createTestDatabase('enddb');
    t.after(() => database.drop());
    const { pool } = createDatabase(database.url, { max: 2 });
    const client = await pool.connect();
    let ended = false;
    const ending = endDatabase(pool).then(() => {
      ended = true;
    });
    // Still usable by its user while the pool is ending: it was not taken away.
    assert.equal((await client.query('select 1 as one')).rows[0]?.one, 1);
    assert.equal(ended, false);
    client.release();
    await ending;
    assert.equal(ended, true);
  });
});
