import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CuttableProxy, TEST_AMQP_URL, waitFor } from '@shop/shared/test-harness';
import { createOrderFulfilmentHandler } from '../../src/pipeline/order-fulfilment-handler.js';
import { startOutboxRelay } from '../../src/pipeline/outbox-relay.js';
import { startQueueConsumer } from '../../src/pipeline/queue-consumer.js';
import {
  countWhere,
  pipelineDatabase,
  processedCount,
  queueDepth,
  quietLogger,
  requireRabbit,
  seedPaidOrders,
  stockOf,
  testTopology,
  undispatchedCount,
} from '../support/pipeline-harness.js';

before(() => requireRabbit());

describe('[C-026] order pipeline across a broker outage', () => {
  it('delivers 1,000 orders to the worker exactly once while the broker link is cut and restored mid-way', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    const { productId } = await seedPaidOrders(db, 1000, 5000);
    // The services reach the shared broker only through this proxy: cutting it is, for them,
    // the broker stopping (connections dropped, new ones refused); the shared broker stays up.
    const broker = new URL(TEST_AMQP_URL);
    const proxy = new CuttableProxy(broker.hostname, Number(broker.port || 5672));
    await proxy.start();
    defer(() => proxy.stop());
    broker.port = String(proxy.port);
    const amqpUrl = broker.toString();
    const log = quietLogger();
    const handler = createOrderFulfilmentHandler({ log });

    const consumer = startQueueConsumer({ db: workerDb, amqpUrl, topology, handler, log, prefetch: 100 });
    defer(() => consumer.stop());
    const relay = startOutboxRelay({ db: workerDb, amqpUrl, topology, log, batchSize: 100, pollMs: 50 });
    defer(() => relay.stop());

    await waitFor(
      'a third of the orders fulfilled',
      () => processedCount(db),
      (n) => n >= 300,
      60_000,
    );
    await proxy.cut();
    const atCut = { processed: await processedCount(db), undispatched: await undispatchedCount(db) };
    await new Promise((r) => setTimeout(r, 1500));
    await proxy.restore();

    await waitFor(
      'every order fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 1000,
      90_000,
    );
    await waitFor(
      'outbox drained',
      () => undispatchedCount(db),
      (n) => n === 0,
      30_000,
    );
    // Let redeliveries of work done just before the cut arrive, so they are counted.
    await waitFor(
      'queue empty',
      () => queueDepth(topology.fulfilmentQueue),
      (n) => n === 0,
      30_000,
    );

    t.diagnostic(
      `at cut: ${atCut.processed} processed, ${atCut.undispatched} not yet confirmed; after: processed ${consumer.stats.processed}, ` +
        `duplicates suppressed ${consumer.stats.duplicate}, relay reconnects ${relay.stats.reconnects}, consumer reconnects ${consumer.stats.reconnects}`,
    );
    assert.ok(atCut.processed < 1000, 'the cut happened mid-way');
    assert.ok(relay.stats.reconnects + consumer.stats.reconnects >= 1, 'the services saw the outage');
    assert.equal(consumer.stats.processed, 1000, 'each order reached the handler once');
    assert.equal(await processedCount(db), 1000);
    assert.equal(await countWhere(db, 'paid'), 0, 'none lost');
    assert.equal(await stockOf(db, productId), 4000, 'stock reserved exactly once per order');
    assert.equal(await queueDepth(topology.deadLetterQueue), 0);
  });
});
