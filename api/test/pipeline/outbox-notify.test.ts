import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@shop/shared/test-harness';
import type pg from 'pg';
import { createDatabase, standaloneClient } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { runtimeUrl } from '../../src/db/roles.js';
import { writeMailRequest, writeOutbox } from '../../src/pipeline/outbox.js';

// The outbox table's insert trigger (migration 0012) wakes the relay, so writers send no
// pg_notify of their own. Checked as the api's runtime role, with the relay's LISTEN.

let database: TestDatabase;
let api: ReturnType<typeof createDatabase>;
let listener: pg.Client;
const received: string[] = [];
let waiters: (() => void)[] = [];

before(async () => {
  database = await createTestDatabase('api');
  await runMigrations(database.url);
  api = createDatabase(runtimeUrl(database.url));
  listener = standaloneClient({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (n) => {
    if (n.channel !== 'shop_outbox') return;
    received.push(n.payload ?? '');
    for (const w of waiters) w();
    waiters = [];
  });
  await listener.query('LISTEN shop_outbox');
});
after(async () => {
  await listener?.end();
  await api?.pool.end();
  await database?.drop();
});

/** Resolves once `count` notifications have arrived (event-driven, with a deadline). */
async function until(count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (received.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${received.length} of ${count} notifications arrived`);
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 500);
    });
  }
}

/** A notification sent outside any transaction: everything notified before it has arrived before it. */
async function marker(name: string): Promise<void> {
  await api.pool.query(`SELECT pg_notify('shop_outbox', $1)`, [name]);
  while (!received.includes(name)) await until(received.length + 1);
}

describe('outbox wake-up', () => {
  it('wakes the relay when an order event or a mail request commits, with no pg_notify from the writer', async () => {
    received.length = 0;
    await api.db.transaction(async (tx) => {
      await writeOutbox(tx, 'order.paid', { orderId: '00000000-0000-4000-8000-000000000001' });
    });
    await until(1);
    assert.deepEqual(received, ['']);
    await api.db.transaction(async (tx) => {
      await writeMailRequest(tx, { template: 'password_changed', userId: '00000000-0000-4000-8000-000000000002' });
    });
    await until(2);
    assert.deepEqual(received, ['', '']);
  });

  it('does not wake the relay for an outbox row whose transaction rolled back', async () => {
    received.length = 0;
    await assert.rejects(
      api.db.transaction(async (tx) => {
        await writeOutbox(tx, 'order.paid', { orderId: '00000000-0000-4000-8000-000000000003' });
        throw new Error('rolled back on purpose');
      }),
      /rolled back on purpose/,
    );
    await marker('after-rollback');
    assert.deepEqual(received, ['after-rollback']);
  });
});
