import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outbox } from '@shop/api/db/schema';
import { writeOutbox } from '@shop/api/pipeline/outbox';
import { waitFor } from '@shop/shared/test-harness';
import { sql } from 'drizzle-orm';
import type { MessageHandler } from '../../src/pipeline/message-handler.js';
import { createOrderFulfilmentHandler } from '../../src/pipeline/order-fulfilment-handler.js';
import { startOutboxClaimer } from '../../src/pipeline/outbox-claimer.js';
import {
  countWhere,
  pipelineDatabase,
  processedCount,
  quietLogger,
  seedPaidOrders,
  stockOf,
  undispatchedCount,
} from '../support/pipeline-harness.js';

describe('embedded mode (AMQP_URL unset): workers claim outbox rows from PostgreSQL', () => {
  it('three concurrent claimers share 300 orders with FOR UPDATE SKIP LOCKED and each order is handled once', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    const { productId } = await seedPaidOrders(db, 300, 1000);
    const log = quietLogger();
    const handler = createOrderFulfilmentHandler({ log });
    const claimers = [1, 2, 3].map(() =>
      startOutboxClaimer({ db: workerDb, handlers: [handler], log, batchSize: 20, pollMs: 50 }),
    );
    for (const c of claimers) defer(() => c.stop());
    await waitFor(
      'all fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 300,
      60_000,
    );
    await waitFor(
      'outbox dispatched',
      () => undispatchedCount(db),
      (n) => n === 0,
      10_000,
    );
    // Each claimer counts a row after its COMMIT returns, which the query above can see first.
    const processed = await waitFor(
      'every claim counted',
      () => claimers.reduce((s, c) => s + c.stats.processed, 0),
      (n) => n >= 300,
      10_000,
    );
    const duplicates = claimers.reduce((s, c) => s + c.stats.duplicate, 0);
    t.diagnostic(`per claimer: ${claimers.map((c) => c.stats.processed).join(', ')}`);
    assert.equal(processed, 300);
    assert.equal(duplicates, 0, 'no row was claimed twice');
    assert.ok(claimers.filter((c) => c.stats.processed > 0).length >= 2, 'the work was shared');
    assert.equal(await processedCount(db), 300);
    assert.equal(await stockOf(db, productId), 700);
  });

  it('sets a row that keeps failing aside as dead after the delivery limit, without blocking the others', async (t) => {
    const { db, workerDb, defer } = await pipelineDatabase(t);
    await seedPaidOrders(db, 5);
    await db.transaction((tx) => writeOutbox(tx, 'order.paid', { orderId: 'not-a-uuid' }));
    const log = quietLogger();
    const real = createOrderFulfilmentHandler({ log });
    let boom = 0;
    const handler: MessageHandler = {
      name: real.name,
      topics: real.topics,
      async handle(tx, m) {
        if (m.payload.orderId === 'poison') {
          boom++;
          throw new Error('always fails');
        }
        return real.handle(tx, m);
      },
    };
    await db.transaction((tx) => writeOutbox(tx, 'order.paid', { orderId: 'poison' }));
    const claimer = startOutboxClaimer({ db: workerDb, handlers: [handler], log, pollMs: 20, deliveryLimit: 3 });
    defer(() => claimer.stop());
    await waitFor(
      'all fulfilled',
      () => countWhere(db, 'ready_to_ship'),
      (n) => n === 5,
      20_000,
    );
    await waitFor(
      'poison set aside',
      async () => claimer.stats.dead,
      (n) => n === 2,
      20_000,
    );
    assert.equal(boom, 3, 'retried up to the limit, then dead');
    const dead = await db.select().from(outbox).where(sql`${outbox.deadAt} is not null`);
    assert.equal(dead.length, 2);
    assert.deepEqual(dead.map((d) => d.lastError).sort(), ['Error', 'PoisonMessageError']);
    const [poison] = await db
      .select()
      .from(outbox)
      .where(sql`${outbox.topic} = 'order.paid' and ${outbox.payload}->>'orderId' = 'poison'`);
    assert.equal(poison?.attempts, 3);
  });
});
