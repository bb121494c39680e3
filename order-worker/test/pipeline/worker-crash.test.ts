import assert from 'node:assert/strict';
import { once } from 'node:events';
import { before, describe, it } from 'node:test';
import { TEST_AMQP_URL, waitFor } from '@shop/shared/test-harness';
import { sql } from 'drizzle-orm';
import { startOutboxRelay } from '../../src/pipeline/outbox-relay.js';
import {
  countWhere,
  pipelineDatabase,
  processedCount,
  queueDepth,
  quietLogger,
  requireRabbit,
  seedPaidOrders,
  spawnWorker,
  stockOf,
  testTopology,
} from '../support/pipeline-harness.js';

before(() => requireRabbit());

describe('order-worker killed mid-batch', () => {
  it('redelivers the unacked messages of a SIGKILLed worker and processes each order once', async (t) => {
    const { db, workerDb, workerUrl, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    const { productId } = await seedPaidOrders(db, 1000, 5000);
    const env = {
      WORKER_DATABASE_URL: workerUrl,
      AMQP_URL: TEST_AMQP_URL,
      AMQP_TOPOLOGY_PREFIX: topology.exchange.replace(/\.orders$/, ''),
      WORKER_RUN_RELAY: 'false',
      WORKER_PREFETCH: '100',
      LOG_LEVEL: 'info',
    };
    const relay = startOutboxRelay({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, log: quietLogger(), pollMs: 50 });
    defer(() => relay.stop());

    const first = spawnWorker(env);
    defer(async () => {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    });
    await waitFor(
      'the first worker mid-batch',
      () => processedCount(db),
      (n) => n >= 150,
      60_000,
    );
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    // A COMMIT the worker sent before it died still completes in its backend: count only once
    // every backend of the killed process has ended (the relay here connects as 'shop-api').
    await waitFor(
      'the sessions of the killed worker to end',
      async () =>
        (
          await db.execute<{ n: number }>(
            sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'shop-order-worker'`,
          )
        ).rows[0]?.n,
      (n) => n === 0,
      30_000,
    );
    const atKill = await processedCount(db);
    assert.ok(atKill < 1000, `killed mid-batch (${atKill} done)`);

    const second = spawnWorker(env);
    defer(async () => {
      if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
    });
    await waitFor(
      'every order fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 1000,
      90_000,
    );
    await waitFor(
      'queue empty',
      () => queueDepth(topology.fulfilmentQueue),
      (n) => n === 0,
      30_000,
    );
    // Graceful stop of the real entry point: it reports what it did and exits 0.
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    assert.equal(code, 0, second.output());
    const stopped = second
      .output()
      .split('\n')
      .filter((l) => l.includes('order-worker stopped'))
      .map((l) => JSON.parse(l) as { stats: { processed: number; duplicate: number } })[0];
    assert.ok(stopped, `stop line logged: ${second.output()}`);
    t.diagnostic(
      `first worker committed ${atKill} before SIGKILL; second processed ${stopped.stats.processed}, suppressed ${stopped.stats.duplicate} duplicates`,
    );

    assert.equal(atKill + stopped.stats.processed, 1000, 'no order processed twice, none lost');
    assert.equal(await processedCount(db), 1000);
    assert.equal(await countWhere(db, 'paid'), 0);
    assert.equal(await stockOf(db, productId), 4000, 'stock reserved exactly once per order');
  });
});
