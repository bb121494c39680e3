import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { DatabaseTx } from '@shop/api/db/client';
import { TEST_AMQP_URL, waitFor } from '@shop/shared/test-harness';
import amqp from 'amqplib';
import type { MessageHandler } from '../../src/pipeline/message-handler.js';
import { createOrderFulfilmentHandler } from '../../src/pipeline/order-fulfilment-handler.js';
import { startOutboxRelay } from '../../src/pipeline/outbox-relay.js';
import type { PipelineMessage } from '../../src/pipeline/pipeline-message.js';
import { startQueueConsumer } from '../../src/pipeline/queue-consumer.js';
import { declareTopology } from '../../src/pipeline/topology.js';
import {
  countWhere,
  pipelineDatabase,
  processedCount,
  queueDepth,
  quietLogger,
  requireRabbit,
  seedPaidOrders,
  testTopology,
} from '../support/pipeline-harness.js';

before(() => requireRabbit());

async function publishRaw(exchange: string, routingKey: string, content: Buffer, messageId?: string) {
  const conn = await amqp.connect(TEST_AMQP_URL);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(exchange, routingKey, content, { persistent: true, ...(messageId ? { messageId } : {}) });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

describe('fulfilment queue consumer', () => {
  it('dead-letters a message that keeps failing once the quorum queue delivery limit is reached, and a malformed one at once', async (t) => {
    const { workerDb, defer } = await pipelineDatabase(t);
    const topology = testTopology(t, 3);
    let attempts = 0;
    const failing: MessageHandler = {
      name: 'always-failing',
      topics: ['order.*'],
      async handle() {
        attempts++;
        throw new Error('downstream keeps failing');
      },
    };
    const consumer = startQueueConsumer({
      db: workerDb,
      amqpUrl: TEST_AMQP_URL,
      topology,
      handler: failing,
      log: quietLogger(),
    });
    defer(() => consumer.stop());
    // The queue existing is not enough (the consumer binds it afterwards, and an unbound publish is
    // dropped): the test declares the same topology itself (idempotent) before publishing.
    const setup = await amqp.connect(TEST_AMQP_URL);
    try {
      await declareTopology(await setup.createChannel(), topology);
    } finally {
      await setup.close();
    }

    await publishRaw(
      topology.exchange,
      'order.paid',
      Buffer.from(JSON.stringify({ orderId: randomUUID() })),
      randomUUID(),
    );
    await publishRaw(topology.exchange, 'order.paid', Buffer.from('not json'), randomUUID());
    await publishRaw(topology.exchange, 'order.paid', Buffer.from('{}'));
    await waitFor(
      'both in the dead-letter queue',
      () => queueDepth(topology.deadLetterQueue),
      (n) => n === 3,
      20_000,
    );
    // Initial delivery plus redeliveries up to the limit, then dead-lettered (not looping forever).
    assert.ok(attempts >= 3 && attempts <= 4, `attempts: ${attempts}`);
    assert.equal(consumer.stats.poison, 2);
    assert.equal(await queueDepth(topology.fulfilmentQueue), 0);
  });

  it('stops gracefully: messages in flight are finished and acked, so a new consumer sees no duplicate of them', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    await seedPaidOrders(db, 200, 1000);
    const log = quietLogger();
    const fulfilment = createOrderFulfilmentHandler({ log });
    // Slow handling, so the stop lands with work in flight.
    const handler: MessageHandler = {
      ...fulfilment,
      async handle(tx, m) {
        const outcome = await fulfilment.handle(tx, m);
        await new Promise((r) => setTimeout(r, 20));
        return outcome;
      },
    };
    const relay = startOutboxRelay({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, log, pollMs: 50 });
    defer(() => relay.stop());
    const first = startQueueConsumer({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, handler, log, prefetch: 50 });
    await waitFor(
      'work in flight',
      () => processedCount(db),
      (n) => n >= 20,
      20_000,
    );
    await first.stop();
    const doneByFirst = first.stats.processed;
    assert.ok(doneByFirst < 200, 'stopped mid-batch');
    assert.equal(await processedCount(db), doneByFirst, 'everything processed was committed');

    const second = startQueueConsumer({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, handler, log, prefetch: 50 });
    defer(() => second.stop());
    await waitFor(
      'all fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 200,
      30_000,
    );
    assert.equal(second.stats.duplicate, 0, 'every message the first consumer finished was acked before it closed');
    assert.equal(doneByFirst + second.stats.processed, 200);
  });

  it('retries a transient failure: the message is redelivered and applied once', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    const topology = testTopology(t);
    await seedPaidOrders(db, 10);
    const log = quietLogger();
    const real = createOrderFulfilmentHandler({ log });
    let failures = 0;
    const flaky: MessageHandler = {
      name: real.name,
      topics: real.topics,
      async handle(tx: DatabaseTx, m: PipelineMessage) {
        const outcome = await real.handle(tx, m);
        // Fails after the writes: the transaction rolls back, the message is not acked.
        if (failures < 3) {
          failures++;
          throw new Error('database hiccup');
        }
        return outcome;
      },
    };
    const relay = startOutboxRelay({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, log, pollMs: 50 });
    defer(() => relay.stop());
    const consumer = startQueueConsumer({ db: workerDb, amqpUrl: TEST_AMQP_URL, topology, handler: flaky, log });
    defer(() => consumer.stop());
    await waitFor(
      'all fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 10,
      20_000,
    );
    // The consumer counts a message after its COMMIT returns, which the query above can see first.
    await waitFor(
      'every message counted',
      async () => consumer.stats.processed,
      (n) => n >= 10,
      10_000,
    );
    assert.equal(consumer.stats.failed, 3);
    assert.equal(consumer.stats.processed, 10);
    assert.equal(consumer.stats.duplicate, 0, 'the failed attempts left no trace');
  });
});
