import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@shop/shared/test-harness';
import { eq, sql } from 'drizzle-orm';
import { createDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { runtimeUrl } from '../../src/db/roles.js';
import { outbox } from '../../src/db/schema/index.js';
import { writeMailRequest } from '../../src/pipeline/outbox.js';

// A mail request carries its one-time token to the order-worker in the outbox payload; only the
// token's hash is stored anywhere else. Migration 0013 removes the token from a row the moment
// it is marked dispatched or dead, whoever marks it. Checked with the worker's own role, which
// may not update the payload column itself.

let database: TestDatabase;
let owner: ReturnType<typeof createDatabase>;
let api: ReturnType<typeof createDatabase>;
let worker: ReturnType<typeof createDatabase>;

before(async () => {
  database = await createTestDatabase('api');
  await runMigrations(database.url);
  owner = createDatabase(database.url);
  api = createDatabase(runtimeUrl(database.url));
  const workerUrl = new URL(database.url);
  workerUrl.username = 'shop_order_worker';
  worker = createDatabase(workerUrl.toString());
});
after(async () => {
  await worker?.pool.end();
  await api?.pool.end();
  await owner?.pool.end();
  await database?.drop();
});

const token = () => randomBytes(32).toString('base64url');
const userId = '00000000-0000-4000-8000-000000000001';

async function request(template: 'email_verification' | 'password_reset', tok: string): Promise<string> {
  return api.db.transaction((tx) => writeMailRequest(tx, { template, userId, token: tok }));
}

async function payloadOf(messageId: string): Promise<Record<string, unknown>> {
  const [row] = await owner.db.select({ payload: outbox.payload }).from(outbox).where(eq(outbox.messageId, messageId));
  assert.ok(row, `outbox row ${messageId}`);
  return row.payload;
}

describe('[C-050] no one-time token kept in a done outbox row (ASVS 2.5.x, PCI DSS v4.0.1 8.3.2)', () => {
  it('keeps the token while the row is pending, and removes it (and only it) once the worker marks the row dispatched or dead', async () => {
    const verify = token();
    const reset = token();
    const dispatched = await request('email_verification', verify);
    const dead = await request('password_reset', reset);
    assert.equal((await payloadOf(dispatched)).token, verify, 'pending: the worker still needs it');

    // A failed try of an embedded worker leaves the row pending: the token stays for the next try.
    await worker.db.update(outbox).set({ attempts: 1, lastError: 'relay refused' }).where(eq(outbox.messageId, dead));
    assert.equal((await payloadOf(dead)).token, reset);

    // The worker's role may not write the payload itself.
    await assert.rejects(worker.pool.query(`UPDATE outbox SET payload = '{}' WHERE message_id = $1`, [dispatched]), {
      code: '42501',
    });

    await worker.db.update(outbox).set({ dispatchedAt: sql`now()` }).where(eq(outbox.messageId, dispatched));
    await worker.db.update(outbox).set({ deadAt: sql`now()`, attempts: 3 }).where(eq(outbox.messageId, dead));
    for (const [id, template] of [
      [dispatched, 'email_verification'],
      [dead, 'password_reset'],
    ] as const) {
      const payload = await payloadOf(id);
      assert.equal('token' in payload, false, `${template}: no token once done`);
      assert.deepEqual(payload, { requestId: id, template, userId }, 'everything else kept');
    }
    const text = JSON.stringify(await owner.db.select().from(outbox));
    assert.ok(!text.includes(verify) && !text.includes(reset), 'neither token anywhere in the table');
  });

  it('removes the token of a row written already done (an import or a replayed backup)', async () => {
    const tok = token();
    const [row] = await owner.db
      .insert(outbox)
      .values({ topic: 'mail.requested', payload: { requestId: 'r', token: tok }, dispatchedAt: sql`now()` })
      .returning({ payload: outbox.payload });
    assert.deepEqual(row?.payload, { requestId: 'r' });
  });
});
