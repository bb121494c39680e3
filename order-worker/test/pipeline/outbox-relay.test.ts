import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { outbox } from '@shop/api/db/schema';
import { TEST_AMQP_URL, waitFor } from '@shop/shared/test-harness';
import amqp from 'amqplib';
import { createOrderFulfilmentHandler } from '../../src/pipeline/order-fulfilment-handler.js';
import { startOutboxRelay } from '../../src/pipeline/outbox-relay.js';
import { startQueueConsumer } from '../../src/pipeline/queue-consumer.js';
import { declareTopology } from '../../src/pipeline/topology.js';
import {
  countWhere,
  pipelineDatabase,
  processedCount,
  quietLogger,
  requireRabbit,
  seedPaidOrders,
  stockOf,
  testTopology,
  undispatchedCount,
} from '../support/pipeline-harness.js';

before(() => requireRabbit());

describe('outbox relay', () => {
  it('publishes each outbox row as a persistent message carrying the row message id, and marks it dispatched only after the broker confirmed it', async (t) => {
    const { db, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    const { orderIds } = await seedPaidOrders(db, 5);
    // Declared first so the messages can be inspected before any consumer takes them.
    const conn = await amqp.connect(TEST_AMQP_URL);
    defer(() => conn.close());
    const ch = await conn.createChannel();
    await declareTopology(ch, topology);

    const relay = startOutboxRelay({ db, amqpUrl: TEST_AMQP_URL, topology, log: quietLogger(), pollMs: 50 });
    defer(() => relay.stop());
    await waitFor(
      'rows dispatched',
      () => undispatchedCount(db),
      (n) => n === 0,
      15_000,
    );

    const rows = await db.select().from(outbox);
    const ids = new Set(rows.map((r) => r.messageId));
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const msg = await ch.get(topology.fulfilmentQueue, { noAck: true });
      assert.ok(msg, 'message on the quorum queue');
      assert.equal(msg.properties.deliveryMode, 2, 'persistent');
      assert.equal(msg.properties.contentType, 'application/json');
      assert.equal(msg.fields.routingKey, 'order.paid');
      assert.ok(ids.has(msg.properties.messageId), 'message id is the outbox row id');
      seen.push(JSON.parse(msg.content.toString()).orderId);
    }
    assert.deepEqual(seen.sort(), [...orderIds].sort());
  });

  it('after a relay crash between the broker ack and marking sent, the republished duplicates are suppressed by the consumer (each order fulfilled once)', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    const { productId } = await seedPaidOrders(db, 20, 100);
    const log = quietLogger();

    // First relay "crashes" right after the confirms of its first batch: nothing marked sent.
    let crashed = false;
    const crashing = startOutboxRelay({
      db: workerDb,
      amqpUrl: TEST_AMQP_URL,
      topology,
      log,
      pollMs: 50,
      afterConfirm: async () => {
        crashed = true;
        // Stopped at once (stop aborts synchronously), as a crashed process would be: otherwise it
        // reconnects after its backoff and publishes the batch again before the test stops it.
        void crashing.stop();
        throw new Error('simulated crash after publish, before marking sent');
      },
    });
    await waitFor(
      'the crash',
      async () => crashed,
      (c) => c,
      15_000,
    );
    await crashing.stop();
    assert.equal(await undispatchedCount(db), 20, 'nothing was marked sent');

    const consumer = startQueueConsumer({
      db: workerDb,
      amqpUrl: TEST_AMQP_URL,
      topology,
      handler: createOrderFulfilmentHandler({ log }),
      log,
    });
    defer(() => consumer.stop());
    const relay = startOutboxRelay({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, log, pollMs: 50 });
    defer(() => relay.stop());

    await waitFor(
      'every order fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 20,
      20_000,
    );
    await waitFor(
      'duplicates consumed',
      async () => consumer.stats.duplicate,
      (n) => n === 20,
      20_000,
    );
    assert.equal(await undispatchedCount(db), 0);
    assert.equal(consumer.stats.processed, 20, 'each order handled once');
    assert.equal(consumer.stats.duplicate, 20, 'each republished copy suppressed');
    assert.equal(await processedCount(db), 20);
    assert.equal(await stockOf(db, productId), 80, 'stock reserved once per order');
  });
});
