import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { asc } from 'drizzle-orm';
import fc from 'fast-check';
import { orderItems, orders, products } from '../../../src/db/schema/index.js';
import { seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';
import type { OrderDetail, OrderSummary } from '../../../src/routes/orders/schemas.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';
import { fuzzRoute } from '../../support/fuzz.js';

type OrderSummaryBody = OrderSummary;
type OrderDetailBody = OrderDetail;

function assertErrorBody(body: unknown, code?: string): void {
  assert.deepEqual(Object.keys(body as object), ['error']);
  const error = (body as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
  if (code) assert.equal(error.code, code);
}

test('GET /api/orders and GET /api/orders/:id', async (t) => {
  const shop = await buildTestApp(t, { env: { RATE_LIMIT_GLOBAL_MAX: '100000', RATE_LIMIT_SIGNUP_MAX: '100' } });
  await seedCatalogue(shop.db);
  const catalogue = await shop.db
    .select({ id: products.id, name: products.name, priceMinor: products.priceMinor })
    .from(products)
    .orderBy(asc(products.sku))
    .limit(3);

  async function shopper(tag: string) {
    const client = shop.client();
    const res = await client.signup(uniqueEmail(tag), STRONG_PASSWORD);
    assert.equal(res.statusCode, 201, res.body);
    return { client, userId: res.json<{ id: string }>().id };
  }

  /** Orders are created by checkout; here they are arranged directly in the database. */
  async function placeOrder(userId: string, lines: { index: number; quantity: number }[], createdAt: Date) {
    const priced = lines.map(({ index, quantity }) => {
      const p = catalogue[index];
      if (!p) throw new Error(`fixture product ${index} missing`);
      return { productId: p.id, name: p.name, unitPriceMinor: p.priceMinor, quantity };
    });
    const total = priced.reduce((s, l) => s + l.unitPriceMinor * l.quantity, 0);
    const [order] = await shop.db
      .insert(orders)
      .values({
        userId,
        currency: 'EUR',
        totalMinor: total,
        status: 'paid',
        cardBrand: 'visa',
        cardLast4: '4242',
        createdAt,
        paidAt: createdAt,
      })
      .returning({ id: orders.id });
    if (!order) throw new Error('order insert returned nothing');
    await shop.db.insert(orderItems).values(priced.map((l) => ({ ...l, orderId: order.id })));
    return { id: order.id, total };
  }

  const alice = await shopper('alice');
  const bob = await shopper('bob');
  const older = await placeOrder(
    alice.userId,
    [
      { index: 0, quantity: 2 },
      { index: 1, quantity: 1 },
    ],
    new Date('2026-01-02T10:00:00Z'),
  );
  const newer = await placeOrder(alice.userId, [{ index: 2, quantity: 1 }], new Date('2026-02-03T10:00:00Z'));
  const bobsOrder = await placeOrder(bob.userId, [{ index: 0, quantity: 5 }], new Date('2026-03-01T10:00:00Z'));

  await t.test('answers 401 unauthenticated without a signed-in user', async () => {
    const visitor = shop.client();
    for (const url of ['/api/orders', `/api/orders/${older.id}`]) {
      const res = await visitor.request({ method: 'GET', url });
      assert.equal(res.statusCode, 401, url);
      assertErrorBody(res.json(), 'unauthenticated');
    }
  });

  await t.test("lists the caller's orders only, newest first, with totals in minor units", async () => {
    const res = await alice.client.request({ method: 'GET', url: '/api/orders' });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ items: OrderSummaryBody[]; total: number }>();
    assert.equal(body.total, 2);
    assert.deepEqual(
      body.items.map((o) => o.id),
      [newer.id, older.id],
    );
    assert.deepEqual(body.items[1], {
      id: older.id,
      status: 'paid',
      totalMinor: older.total,
      currency: 'EUR',
      itemCount: 3,
      createdAt: '2026-01-02T10:00:00.000Z',
    });
    const page = await alice.client.request({ method: 'GET', url: '/api/orders?limit=1&offset=1' });
    assert.deepEqual(
      page.json<{ items: OrderSummaryBody[] }>().items.map((o) => o.id),
      [older.id],
    );
  });

  await t.test("answers one of the caller's orders with its lines and only brand and last 4 of the card", async () => {
    const res = await alice.client.request({ method: 'GET', url: `/api/orders/${older.id}` });
    assert.equal(res.statusCode, 200);
    const order = res.json<OrderDetailBody>();
    assert.equal(order.totalMinor, older.total);
    assert.equal(order.cardLast4, '4242');
    assert.equal(
      order.items.reduce((s, l) => s + l.lineTotalMinor, 0),
      older.total,
    );
    assert.equal(order.items.length, 2);
    assert.ok(!('shippingAddressToken' in order) && !('paymentIntentId' in order), 'no internal references out');
  });

  await t.test(
    "[C-024] answers 404, exactly as for a missing order, to another user's order id (ASVS 4.2.1, PCI DSS 7.2.1: object-level access control)",
    async () => {
      const stolen = await alice.client.request({ method: 'GET', url: `/api/orders/${bobsOrder.id}` });
      const missing = await alice.client.request({ method: 'GET', url: `/api/orders/${randomUUID()}` });
      assert.equal(stolen.statusCode, 404);
      assertErrorBody(stolen.json(), 'order_not_found');
      assert.deepEqual(stolen.json(), missing.json(), 'the answer does not reveal that the id exists');
      const list = await alice.client.request({ method: 'GET', url: '/api/orders?limit=100' });
      assert.ok(!list.json<{ items: OrderSummaryBody[] }>().items.some((o) => o.id === bobsOrder.id));
      // The owner still sees it: the 404 above is the ownership rule, not a broken lookup.
      assert.equal((await bob.client.request({ method: 'GET', url: `/api/orders/${bobsOrder.id}` })).statusCode, 200);
    },
  );

  await t.test('refuses unknown query parameters, out-of-range pages and ids that are not UUIDs', async () => {
    for (const url of [
      '/api/orders?userId=x',
      '/api/orders?limit=0',
      '/api/orders?limit=101',
      '/api/orders?offset=-1',
      '/api/orders/123',
      `/api/orders/urn:uuid:${older.id}`,
    ]) {
      const res = await alice.client.request({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url);
      assertErrorBody(res.json(), 'validation_failed');
    }
  });

  await t.test('never answers 5xx to fuzzed ids and query strings (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 60 })), async (id) => {
        const res = await alice.client.request({ method: 'GET', url: `/api/orders/${encodeURIComponent(id)}` });
        assert.ok([200, 400, 404].includes(res.statusCode), `${res.statusCode} for ${id}`);
      }),
      { numRuns: 100 },
    );
    const key = fc.constantFrom('limit', 'offset', 'x', 'limit[]');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.string({ maxLength: 20 })), { maxLength: 3 }), async (pairs) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const res = await alice.client.request({ method: 'GET', url: `/api/orders?${qs}` });
        assert.ok(res.statusCode === 200 || res.statusCode === 400, `${res.statusCode} for ?${qs}`);
      }),
      { numRuns: 100 },
    );
  });

  await t.test('passes the shared schema-driven fuzz of its query as a signed-in user (support/fuzz.ts)', async () => {
    await fuzzRoute(shop.app, alice.client, { method: 'GET', url: '/api/orders' });
  });
});
