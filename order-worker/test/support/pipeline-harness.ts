import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database } from '@shop/api/db/client';
import { runMigrations } from '@shop/api/db/migrate';
import { orderItems, orders, outbox, processedMessages, products, users } from '@shop/api/db/schema';
import { writeOutbox } from '@shop/api/pipeline/outbox';
import { createTestDatabase, TEST_AMQP_URL, uniqueName } from '@shop/shared/test-harness';
import amqp from 'amqplib';
import { count, eq, sql } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { deleteTopology, type Topology, topologyFor } from '../../src/pipeline/topology.js';

/** Fails with the fix named when the shared broker is not running (never a silent skip). */
export async function requireRabbit(url = TEST_AMQP_URL): Promise<void> {
  try {
    const conn = await amqp.connect(url, { timeout: 3000 });
    await conn.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ is not reachable at ${url} (${(err as Error).message}). Start it with: rabbitmq-server -detached, or set TEST_AMQP_URL.`,
    );
  }
}

/** Exchange and queue names of this test only, deleted from the shared broker afterwards. */
export function testTopology(t: TestContext, deliveryLimit = 5): Topology {
  const topology = topologyFor(uniqueName('t').toLowerCase(), deliveryLimit);
  t.after(async () => {
    const conn = await amqp.connect(TEST_AMQP_URL);
    conn.on('error', () => {});
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await deleteTopology(ch, topology);
    } finally {
      await conn.close();
    }
  });
  return topology;
}

export interface PipelineDatabase {
  ownerUrl: string;
  /** Connection string of the order-worker's own role. */
  workerUrl: string;
  /** The owner, for arranging and inspecting. */
  db: Database;
  /** Connected as the order-worker role, as the worker runs in production. */
  workerDb: Database;
  /** Registers a stop (relay, consumer, process) to run, last first, before the pools close. */
  defer(stop: () => Promise<unknown>): void;
}

export async function pipelineDatabase(t: TestContext): Promise<PipelineDatabase> {
  const database = await createTestDatabase('pipe');
  await runMigrations(database.url);
  const workerUrl = new URL(database.url);
  workerUrl.username = 'shop_order_worker';
  const owner = createDatabase(database.url);
  const worker = createDatabase(workerUrl.toString());
  // The forced drop at the end ends any straggling session: that is expected, not a failure.
  owner.pool.on('error', () => {});
  worker.pool.on('error', () => {});
  const stops: (() => Promise<unknown>)[] = [];
  // One hook, in a fixed order: a pool's end() waits for its checked-out clients, so every
  // relay and consumer (which hold one for LISTEN) must stop before the pools close.
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    await owner.pool.end();
    await worker.pool.end();
    await database.drop();
  });
  return {
    ownerUrl: database.url,
    workerUrl: workerUrl.toString(),
    db: owner.db,
    workerDb: worker.db,
    defer: (stop) => stops.push(stop),
  };
}

export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * `n` paid orders of one product (quantity 1 each), each with its `order.paid` outbox row
 * written in the same transaction as the order, as the webhook does.
 */
export async function seedPaidOrders(
  db: Database,
  n: number,
  stock = n * 2,
): Promise<{ productId: string; orderIds: string[] }> {
  const [user] = await db
    .insert(users)
    .values({ passwordHash: 'x', emailBlindIndex: uniqueName('bi') })
    .returning();
  const [product] = await db
    .insert(products)
    .values({ sku: uniqueName('sku'), name: 'Widget', description: 'd', priceMinor: 1000, currency: 'EUR', stock })
    .returning();
  if (!user || !product) throw new Error('seed failed');
  const orderIds: string[] = [];
  for (let done = 0; done < n; done += 100) {
    const size = Math.min(100, n - done);
    await db.transaction(async (tx) => {
      const rows = await tx
        .insert(orders)
        .values(
          Array.from({ length: size }, () => ({
            userId: user.id,
            currency: 'EUR',
            totalMinor: 1000,
            status: 'paid' as const,
          })),
        )
        .returning({ id: orders.id });
      await tx.insert(orderItems).values(
        rows.map((r) => ({
          orderId: r.id,
          productId: product.id,
          name: 'Widget',
          unitPriceMinor: 1000,
          quantity: 1,
        })),
      );
      for (const r of rows) {
        await writeOutbox(tx, 'order.paid', { orderId: r.id, amountMinor: 1000, currency: 'EUR' });
        orderIds.push(r.id);
      }
    });
  }
  return { productId: product.id, orderIds };
}

export async function countWhere(db: Database, status: 'paid' | 'ready_to_ship'): Promise<number> {
  const [row] = await db.select({ n: count() }).from(orders).where(eq(orders.status, status));
  return row?.n ?? 0;
}

export async function processedCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(processedMessages);
  return row?.n ?? 0;
}

export async function undispatchedCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(outbox).where(sql`${outbox.dispatchedAt} is null`);
  return row?.n ?? 0;
}

export async function stockOf(db: Database, productId: string): Promise<number> {
  const [row] = await db.select({ stock: products.stock }).from(products).where(eq(products.id, productId));
  return row?.stock ?? Number.NaN;
}

/** Messages waiting in a queue (via a passive declare on the shared broker). */
export async function queueDepth(queue: string, url = TEST_AMQP_URL): Promise<number> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    // A missing queue closes the channel with 404: the rejection is the answer, not a crash.
    ch.on('error', () => {});
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close().catch(() => {});
  }
}

const WORKER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

/** The real order-worker entry point, as its own process with its own database role. */
export function spawnWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return { child, output: () => out };
}
