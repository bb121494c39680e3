import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mailDeliveries, orders, outbox } from '@shop/api/db/schema';
import { writeMailRequest } from '@shop/api/pipeline/outbox';
import { TEST_AMQP_URL, waitFor } from '@shop/shared/test-harness';
import { eq, sql } from 'drizzle-orm';
import { type MailStack, mailStack } from '../support/mail-stack.js';
import { queueDepth, requireRabbit, testTopology } from '../support/pipeline-harness.js';

before(() => requireRabbit());

const prefixOf = (exchange: string) => exchange.replace(/\.orders$/, '');

async function request(s: MailStack, userId: string): Promise<string> {
  return s.db.transaction((tx) => writeMailRequest(tx, { template: 'password_changed', userId }));
}

/** How many times the relay received the mail of one request (its Message-ID is the request id). */
function copies(s: MailStack, requestId: string): number {
  return s.smtp.received.filter((m) => m.parsed.messageId === `<${requestId}@shop.example.test>`).length;
}

async function delivery(s: MailStack, requestId: string) {
  const [row] = await waitFor(
    `the delivery of ${requestId} recorded`,
    () => s.db.select().from(mailDeliveries).where(eq(mailDeliveries.requestId, requestId)),
    (r) => r.length === 1,
    60_000,
  );
  return row as typeof mailDeliveries.$inferSelect;
}

describe('[C-051] mail when the relay fails (queued, retried with backoff, never lost, never twice)', () => {
  it('a relay that refuses, stalls, then is down leaves each mail queued and retried, and each arrives exactly once (RabbitMQ)', async (t) => {
    const s = await mailStack(t);
    const topology = testTopology(t);
    const shopper = await s.shopper();
    const worker = await s.startWorker({
      AMQP_URL: TEST_AMQP_URL,
      AMQP_TOPOLOGY_PREFIX: prefixOf(topology.exchange),
      MAIL_SEND_TIMEOUT_MS: '3000',
      MAIL_DELIVERY_LIMIT: '50',
    });
    assert.equal(worker.mode, 'amqp');

    // 1. Refusing (451 to every message): the request waits and is tried again.
    s.smtp.mode = 'refuse';
    const refused = await request(s, shopper.userId);
    await waitFor(
      'two refused tries',
      async () => s.smtp.attempts,
      (n) => n >= 2,
      60_000,
    );
    assert.equal(copies(s, refused), 0);
    s.smtp.mode = 'accept';
    assert.equal((await delivery(s, refused)).status, 'sent');
    assert.ok((await delivery(s, refused)).attempts >= 3, 'recorded with the try that succeeded');

    // 2. Stalling (DATA never answered): the send times out, and is tried again.
    s.smtp.mode = 'hang';
    const triesBefore = s.smtp.attempts;
    const stalled = await request(s, shopper.userId);
    await waitFor(
      'a stalled try timed out and was retried',
      async () => s.smtp.attempts,
      (n) => n >= triesBefore + 2,
      60_000,
    );
    s.smtp.mode = 'accept';
    assert.equal((await delivery(s, stalled)).status, 'sent');

    // 3. Down (connections refused): queued until the relay is back; a paid order's confirmation too.
    await s.smtp.stop();
    const retriedBefore = worker.stats().mailRetried ?? 0;
    const down = await request(s, shopper.userId);
    const { orderId, messageId: paidEvent } = await s.paidOrder(shopper);
    await waitFor(
      'tries against a relay that is down',
      async () => worker.stats().mailRetried ?? 0,
      (n) => n >= retriedBefore + 2,
      60_000,
    );
    // Fulfilment does not wait for mail: its own queue carries on.
    await waitFor(
      'the order fulfilled while the relay is down',
      async () => (await s.db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.status,
      (status) => status === 'ready_to_ship',
      60_000,
    );
    await s.smtp.start();
    assert.equal((await delivery(s, down)).status, 'sent');
    assert.equal((await delivery(s, paidEvent)).status, 'sent');

    // Each exactly once, nothing dead-lettered.
    for (const id of [refused, stalled, down, paidEvent]) assert.equal(copies(s, id), 1, id);
    assert.equal(s.smtp.received.length, 4);
    assert.equal(await queueDepth(topology.deadLetterQueue), 0);
  });

  it('gives a mail up after the delivery limit: recorded dead with its tries and dead-lettered, never sent (RabbitMQ)', async (t) => {
    const s = await mailStack(t);
    const topology = testTopology(t);
    const shopper = await s.shopper();
    s.smtp.mode = 'refuse';
    await s.startWorker({
      AMQP_URL: TEST_AMQP_URL,
      AMQP_TOPOLOGY_PREFIX: prefixOf(topology.exchange),
      MAIL_DELIVERY_LIMIT: '3',
    });
    const requestId = await request(s, shopper.userId);
    const row = await delivery(s, requestId);
    assert.equal(row.status, 'dead');
    assert.equal(row.attempts, 3);
    assert.equal(s.smtp.attempts, 3, 'tried up to the limit, and no more');
    await waitFor(
      'the request in the dead-letter queue',
      () => queueDepth(topology.deadLetterQueue),
      (n) => n === 1,
      20_000,
    );
    assert.equal(s.smtp.received.length, 0);
  });

  it('in embedded mode a refused mail is retried with backoff, then recorded dead and set aside, while fulfilment goes on', async (t) => {
    const s = await mailStack(t);
    const shopper = await s.shopper();
    s.smtp.mode = 'refuse';
    const worker = await s.startWorker({ MAIL_DELIVERY_LIMIT: '3' });
    assert.equal(worker.mode, 'embedded');
    const requestId = await request(s, shopper.userId);
    const { orderId, messageId: paidEvent } = await s.paidOrder(shopper);
    const row = await delivery(s, requestId);
    assert.equal(row.status, 'dead');
    assert.equal(row.attempts, 3);
    assert.equal((await delivery(s, paidEvent)).status, 'dead', 'the confirmation, refused as well');
    const [order] = await s.db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
    assert.equal(order?.status, 'ready_to_ship', 'fulfilled once, whatever the mail did');
    const dead = await s.db.select().from(outbox).where(sql`${outbox.deadAt} is not null`);
    assert.deepEqual(dead.map((d) => d.messageId).sort(), [requestId, paidEvent].sort());
    assert.equal(s.smtp.attempts, 6, 'three tries each');
    assert.equal(s.smtp.received.length, 0);
    assert.ok((worker.stats().retried ?? 0) >= 4, JSON.stringify(worker.stats()));
  });
});
