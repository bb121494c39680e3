import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type Database } from '@shop/api/db/client';
import { runMigrations } from '@shop/api/db/migrate';
import { TEST_AMQP_URL, waitFor, withDatabase } from '@shop/shared/test-harness';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../../api/test/helper.js';
import { PrivatePostgres } from '../../../api/test/support/private-postgres.js';
import {
  countWhere,
  processedCount,
  requireRabbit,
  seedPaidOrders,
  spawnWorker,
  stockOf,
  testTopology,
  undispatchedCount,
} from '../support/pipeline-harness.js';

before(() => requireRabbit());

interface Stack {
  server: PrivatePostgres;
  db: Database;
  worker: { child: ChildProcess; output: () => string };
  ownerUrl: string;
}

/**
 * A PostgreSQL cluster of the test's own (so it can be stopped), the shop migrated on it, and
 * the real order-worker entry point as its own process in production mode: outbox relay on a
 * confirm channel, quorum queue, manual-ack consumer, connected as its own role.
 */
async function stack(t: TestContext): Promise<Stack> {
  const server = new PrivatePostgres();
  const cleanup: (() => Promise<unknown> | unknown)[] = [() => server.destroy()];
  // One hook, in a fixed order (last registered first): the worker goes before its database.
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  await server.start();
  await server.query('CREATE DATABASE shop');
  const ownerUrl = withDatabase(server.url, 'shop');
  await runMigrations(ownerUrl);
  const owner = createDatabase(ownerUrl);
  cleanup.push(() => owner.pool.end());
  const topology = testTopology(t);
  const workerUrl = new URL(ownerUrl);
  workerUrl.username = 'shop_order_worker';
  const worker = spawnWorker({
    WORKER_DATABASE_URL: workerUrl.toString(),
    AMQP_URL: TEST_AMQP_URL,
    AMQP_TOPOLOGY_PREFIX: topology.exchange.replace(/\.orders$/, ''),
    WORKER_RUN_RELAY: 'true',
    LOG_LEVEL: 'info',
  });
  cleanup.push(() => {
    if (alive(worker.child)) worker.child.kill('SIGKILL');
  });
  return { server, db: owner.db, worker, ownerUrl };
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The backend holding the worker's LISTEN, once there is one. */
async function listenBackend(server: PrivatePostgres, other?: number): Promise<number> {
  const rows = await waitFor(
    other === undefined ? "the worker's LISTEN connection" : "the worker's LISTEN connection, back",
    () =>
      server.query<{ pid: number }>(
        `select pid from pg_stat_activity
          where usename = 'shop_order_worker' and query = 'LISTEN shop_outbox' and pid <> $1`,
        [other ?? 0],
      ),
    (r) => r.length === 1,
    30_000,
  );
  return (rows[0] as { pid: number }).pid;
}

/** Every order fulfilled exactly once: one processed message and one unit of stock each. */
async function assertExactlyOnce(s: Stack, orders: number, productIds: string[], stockEach: number): Promise<void> {
  await waitFor(
    `all ${orders} orders ready to ship`,
    () => countWhere(s.db, 'ready_to_ship'),
    (n) => n === orders,
    90_000,
  );
  assert.equal(await countWhere(s.db, 'paid'), 0);
  assert.equal(await processedCount(s.db), orders, 'each order event processed once');
  assert.equal(await undispatchedCount(s.db), 0, 'every outbox row relayed');
  let reserved = 0;
  for (const id of productIds) reserved += stockEach - (await stockOf(s.db, id));
  assert.equal(reserved, orders, 'stock reserved exactly once per order');
}

/** SIGTERM: the worker that lived through the fault still stops cleanly, with exit code 0. */
async function stopWorker(s: Stack): Promise<void> {
  assert.ok(alive(s.worker.child), `the worker is still running:\n${s.worker.output()}`);
  s.worker.child.kill('SIGTERM');
  const [code] = await once(s.worker.child, 'exit');
  assert.equal(code, 0, s.worker.output());
}

describe('PostgreSQL ends the connections (the order-worker and the api stay up and reconnect)', () => {
  it('a LISTEN backend terminated twice in a row is released once each time and LISTENs again, and every order reaches ready_to_ship exactly once', async (t) => {
    const s = await stack(t);
    const first = await listenBackend(s.server);
    const a = await seedPaidOrders(s.db, 50, 1000);

    // 1. Terminated once (pg_terminate_backend, as an operator or a failover does).
    await s.server.query('select pg_terminate_backend($1)', [first]);
    // Orders keep arriving while the worker has no LISTEN.
    const b = await seedPaidOrders(s.db, 50, 1000);
    const second = await listenBackend(s.server, first);
    // 2. And the new one at once, before anything else happened on it.
    await s.server.query('select pg_terminate_backend($1)', [second]);
    await listenBackend(s.server, second);
    const c = await seedPaidOrders(s.db, 50, 1000);

    assert.ok(alive(s.worker.child), `the worker survived both terminations:\n${s.worker.output()}`);
    await assertExactlyOnce(s, 150, [a.productId, b.productId, c.productId], 1000);
    assert.match(s.worker.output(), /outbox LISTEN connection lost/);
    await stopWorker(s);
  });

  it('the whole server stopped mid-batch and started again: the api answers 503 meanwhile, both reconnect by themselves, and every order reaches ready_to_ship exactly once', async (t) => {
    const s = await stack(t);
    const { client, app } = await buildTestApp(t, { databaseUrl: s.ownerUrl });
    const shopper = client();
    assert.equal((await shopper.signup(uniqueEmail(), STRONG_PASSWORD)).statusCode, 201);
    const before = await listenBackend(s.server);
    const { productId } = await seedPaidOrders(s.db, 400, 1000);
    await waitFor(
      'the worker mid-batch',
      () => processedCount(s.db),
      (n) => n >= 40,
      60_000,
    );

    // 1. Fast shutdown, as a restart or failover: every session is terminated (57P01).
    await s.server.stop();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 503, me.body);
    assert.equal(me.json().error.code, 'database_unavailable');
    assert.doesNotMatch(me.body, /ECONNREFUSED|stack|at /);
    // Long enough for the worker's LISTEN, relay and consumer to find the server gone and retry.
    await sleep(2_000);
    assert.ok(alive(s.worker.child), `the worker survived the shutdown:\n${s.worker.output()}`);

    // 2. The same server back on the same port: nobody restarts the api or the worker.
    await s.server.start();
    await waitFor(
      '/readyz 200 again',
      async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode,
      (status) => status === 200,
      30_000,
    );
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
    await listenBackend(s.server, before);
    await assertExactlyOnce(s, 400, [productId], 1000);
    await stopWorker(s);
  });
});
