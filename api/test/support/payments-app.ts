import type { TestContext } from 'node:test';
import { createTestDatabase, LogCapture, TEST_REDIS_URL, uniqueName } from '@shop/shared/test-harness';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { type ApiDeps, buildApp } from '../../src/app.js';
import { loadApiConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { runtimeUrl } from '../../src/db/roles.js';
import { cartItems, carts, products, users } from '../../src/db/schema/index.js';
import { requireRedis, TestClient } from '../helper.js';
import { FakePii } from './fake-pii.js';
import { verifyEmail } from './mail-requests.js';
import { deleteRedisPrefix } from './redis-prefix.js';

export { FakePii } from './fake-pii.js';

export interface PaymentsTestApp {
  app: FastifyInstance;
  /** Owner connection, for arranging and inspecting rows. */
  db: Database;
  ownerUrl: string;
  logs: LogCapture;
  pii: FakePii;
  client(): TestClient;
  /** Registers a stop (a worker, a relay) to run, last first, before the app and database close. */
  defer(stop: () => Promise<unknown>): void;
}

/**
 * The real api (`buildApp`, runtime role, Redis sessions, CSRF, rate limits) on a fresh
 * migrated database, with the checkout and webhook routes registered on it when app.ts does
 * not wire them yet. `stripeEnv` holds the STRIPE_* variables (e.g. a StripeDouble's `env()`).
 */
export async function buildPaymentsTestApp(
  t: TestContext,
  options: { stripeEnv?: Record<string, string>; deps?: Partial<ApiDeps>; pii?: FakePii | null } = {},
): Promise<PaymentsTestApp> {
  await requireRedis();
  const database = await createTestDatabase('pay');
  await runMigrations(database.url);
  const redisPrefix = `${uniqueName('pay')}:`;
  const config = loadApiConfig({
    LOG_LEVEL: 'info',
    DATABASE_URL: runtimeUrl(database.url),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    ...options.stripeEnv,
  });
  const logs = new LogCapture();
  const pii = options.pii === null ? undefined : (options.pii ?? new FakePii());
  const app = await buildApp(config, { logStream: logs, ...(pii ? { pii } : {}), ...options.deps });
  const owner = createDatabase(database.url);
  owner.pool.on('error', () => {});
  const stops: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    await app.close();
    await owner.pool.end();
    await deleteRedisPrefix(TEST_REDIS_URL, redisPrefix).catch(() => undefined);
    await database.drop();
  });
  await app.ready();
  return {
    app,
    db: owner.db,
    ownerUrl: database.url,
    logs,
    pii: pii ?? new FakePii(),
    client: () => new TestClient(app),
    defer: (stop) => stops.push(stop),
  };
}

/** Products with stock, priced in one currency. */
export async function seedProducts(
  db: Database,
  items: { priceMinor: number; stock?: number; currency?: string }[],
): Promise<string[]> {
  const rows = await db
    .insert(products)
    .values(
      items.map((p, i) => ({
        sku: uniqueName(`sku${i}`),
        name: `Product ${i}`,
        description: 'A test product',
        priceMinor: p.priceMinor,
        currency: p.currency ?? 'EUR',
        stock: p.stock ?? 100,
      })),
    )
    .returning({ id: products.id });
  return rows.map((r) => r.id);
}

/** Puts items straight into a user's cart (the cart routes belong to another test file). */
export async function fillCart(db: Database, userId: string, lines: { productId: string; quantity: number }[]) {
  let [cart] = await db.select().from(carts).where(eq(carts.userId, userId));
  if (!cart) [cart] = await db.insert(carts).values({ userId }).returning();
  if (!cart) throw new Error('cart insert failed');
  const cartId = cart.id;
  await db.delete(cartItems).where(eq(cartItems.cartId, cartId));
  if (lines.length > 0) await db.insert(cartItems).values(lines.map((l) => ({ ...l, cartId })));
}

/**
 * Signs a shopper up through the real route, follows the mailed verification link (checkout
 * requires a verified email) and returns their id.
 */
export async function signedInShopper(client: TestClient, db: Database): Promise<string> {
  const email = `shopper.${uniqueName('u')}@example.test`;
  const res = await client.signup(email, 'correct horse battery staple', 'Test Shopper');
  if (res.statusCode !== 201) throw new Error(`signup answered ${res.statusCode}: ${res.body}`);
  const me = await client.request({ method: 'GET', url: '/api/me' });
  const id = me.json<{ id: string }>().id;
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
  if (!user) throw new Error('signed-up user not found');
  await verifyEmail(client, db, id);
  return id;
}

export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 St James Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
};
