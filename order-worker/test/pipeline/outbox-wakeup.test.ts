import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDatabase } from '@shop/api/db/client';
import { createTestDatabase, waitFor } from '@shop/shared/test-harness';
import type pg from 'pg';
import { OutboxWakeup } from '../../src/pipeline/outbox-wakeup.js';
import { quietLogger } from '../support/pipeline-harness.js';

describe('OutboxWakeup (the LISTEN connection of the relay and the embedded claimer)', () => {
  it('releases its client once when the client reports the same loss twice, and LISTENs again on a new one', async (t) => {
    const database = await createTestDatabase('wakeup');
    const { pool } = createDatabase(database.url);
    const checkedOut: pg.PoolClient[] = [];
    pool.on('acquire', (client) => checkedOut.push(client));
    const wakeup = new OutboxWakeup(pool, quietLogger(), 50);
    t.after(async () => {
      await wakeup.stop();
      await pool.end();
      await database.drop();
    });
    await wakeup.start();
    const first = checkedOut[0];
    assert.ok(first, 'the LISTEN client was checked out');

    // pg reports one lost connection on several paths (the server's FATAL message, then the
    // socket's end; pg-pool itself expects "additional client error after disconnection").
    // Releasing on each would throw "Release called on client which has already been
    // released" inside the emitter, where nothing catches it: the process would end.
    const lost = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    assert.doesNotThrow(() => {
      first.emit('error', lost);
      first.emit('error', new Error('Connection terminated unexpectedly'));
    });
    await waitFor(
      'a new LISTEN connection',
      async () => wakeup.stats.listens,
      (n) => n === 2,
      10_000,
    );
    assert.notEqual(checkedOut[1], first, 'a new client, not the broken one');
    assert.equal(wakeup.stats.losses, 1);

    // The new connection really listens: a NOTIFY wakes a waiter long before its poll interval.
    const abort = new AbortController();
    // (the wake-up owed for the LISTEN-less gap is taken first)
    await wakeup.wait(0, abort.signal);
    const started = performance.now();
    const waited = wakeup.wait(30_000, abort.signal);
    await pool.query('NOTIFY shop_outbox');
    await waited;
    assert.ok(performance.now() - started < 5_000, 'woken by the notification, not the poll');
  });
});
