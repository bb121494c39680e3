import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { products } from '../../../src/db/schema/index.js';
import { seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';
import { fuzzRoute } from '../../support/fuzz.js';

interface CartBody {
  items: {
    productId: string;
    name: string;
    unitPriceMinor: number;
    currency: string;
    quantity: number;
    lineTotalMinor: number;
  }[];
  currency: string | null;
  subtotalMinor: number;
  itemCount: number;
}

const EMPTY = { items: [], currency: null, subtotalMinor: 0, itemCount: 0 };

function assertErrorBody(body: unknown, code?: string): void {
  assert.deepEqual(Object.keys(body as object), ['error']);
  const error = (body as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
  if (code) assert.equal(error.code, code);
}

test('GET /api/cart, POST /api/cart/items, DELETE /api/cart/items/:productId', async (t) => {
  const shop = await buildTestApp(t, { env: { RATE_LIMIT_GLOBAL_MAX: '100000', RATE_LIMIT_SIGNUP_MAX: '100' } });
  await seedCatalogue(shop.db);
  const catalogue = await shop.db
    .select({ id: products.id, priceMinor: products.priceMinor, stock: products.stock })
    .from(products)
    .orderBy(asc(products.sku))
    .limit(5);
  const product = (i: number) => {
    const p = catalogue[i];
    if (!p) throw new Error(`fixture product ${i} missing`);
    return p;
  };
  const [usd] = await shop.db
    .insert(products)
    .values({
      sku: 'TEST-USD',
      name: 'Imported Mug',
      description: 'Priced in dollars',
      priceMinor: 1500,
      currency: 'USD',
      stock: 9,
    })
    .returning({ id: products.id });
  assert.ok(usd);

  const setItem = (client: ReturnType<typeof shop.client>, productId: string, quantity: number) =>
    client.request({ method: 'POST', url: '/api/cart/items', payload: { productId, quantity } });

  await t.test('answers an empty cart to a visitor without creating a session for it', async () => {
    const res = await shop.client().request({ method: 'GET', url: '/api/cart' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), EMPTY);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  await t.test('sets (not adds) the quantity and answers the cart priced by the server', async () => {
    const client = shop.client();
    const a = product(0);
    const b = product(1);
    assert.equal((await setItem(client, a.id, 2)).statusCode, 200);
    const again = await setItem(client, a.id, 2);
    assert.equal(again.json<CartBody>().items[0]?.quantity, 2, 'repeating the request leaves the same cart');
    const res = await setItem(client, b.id, 3);
    const cart = res.json<CartBody>();
    assert.equal(cart.itemCount, 5);
    assert.equal(cart.currency, 'EUR');
    assert.equal(cart.subtotalMinor, a.priceMinor * 2 + b.priceMinor * 3);
    for (const line of cart.items) assert.equal(line.lineTotalMinor, line.unitPriceMinor * line.quantity);
    assert.deepEqual((await client.request({ method: 'GET', url: '/api/cart' })).json(), cart);
  });

  await t.test('refuses a client-sent price or any other unknown field', async () => {
    const client = shop.client();
    for (const extra of [{ priceMinor: 1 }, { unitPriceMinor: 1 }, { currency: 'EUR' }, { __proto__x: 1 }]) {
      const res = await client.request({
        method: 'POST',
        url: '/api/cart/items',
        payload: { productId: product(0).id, quantity: 1, ...extra },
      });
      assert.equal(res.statusCode, 400, JSON.stringify(extra));
      assertErrorBody(res.json(), 'validation_failed');
    }
  });

  await t.test('bounds the quantity to 1..99 and requires both fields', async () => {
    const client = shop.client();
    for (const payload of [
      { productId: product(0).id, quantity: 0 },
      { productId: product(0).id, quantity: 100 },
      { productId: product(0).id, quantity: -3 },
      { productId: product(0).id, quantity: 1.5 },
      { productId: product(0).id },
      { quantity: 1 },
      { productId: 'not-a-uuid', quantity: 1 },
      { productId: `urn:uuid:${product(0).id}`, quantity: 1 },
    ]) {
      const res = await client.request({ method: 'POST', url: '/api/cart/items', payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assertErrorBody(res.json(), 'validation_failed');
    }
  });

  await t.test('answers 404 product_not_found for an unknown product', async () => {
    const res = await setItem(shop.client(), randomUUID(), 1);
    assert.equal(res.statusCode, 404);
    assertErrorBody(res.json(), 'product_not_found');
  });

  await t.test('answers 409 insufficient_stock beyond the stock', async () => {
    const res = await setItem(shop.client(), usd.id, 10);
    assert.equal(res.statusCode, 409);
    assertErrorBody(res.json(), 'insufficient_stock');
  });

  await t.test('keeps one currency per cart with 409 cart_currency_mismatch', async () => {
    const client = shop.client();
    await setItem(client, product(0).id, 1);
    const res = await setItem(client, usd.id, 1);
    assert.equal(res.statusCode, 409);
    assertErrorBody(res.json(), 'cart_currency_mismatch');
  });

  await t.test('removes an item idempotently, and a bad id answers 400', async () => {
    const client = shop.client();
    await setItem(client, product(0).id, 1);
    await setItem(client, product(1).id, 1);
    const res = await client.request({ method: 'DELETE', url: `/api/cart/items/${product(0).id}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json<CartBody>().items.map((l) => l.productId),
      [product(1).id],
    );
    const again = await client.request({ method: 'DELETE', url: `/api/cart/items/${product(0).id}` });
    assert.deepEqual(again.json(), res.json());
    const bad = await client.request({ method: 'DELETE', url: '/api/cart/items/123' });
    assert.equal(bad.statusCode, 400);
    assertErrorBody(bad.json(), 'validation_failed');
  });

  await t.test('keeps anonymous carts apart: one session never sees another session cart', async () => {
    const alice = shop.client();
    const mallory = shop.client();
    await setItem(alice, product(2).id, 4);
    await mallory.csrfToken();
    assert.deepEqual((await mallory.request({ method: 'GET', url: '/api/cart' })).json(), EMPTY);
    // Mallory removing the product from "her" cart must not touch Alice's.
    await mallory.request({ method: 'DELETE', url: `/api/cart/items/${product(2).id}` });
    assert.equal((await alice.request({ method: 'GET', url: '/api/cart' })).json<CartBody>().itemCount, 4);
  });

  await t.test('keeps the anonymous cart through signup (merged into the new account)', async () => {
    const client = shop.client();
    await setItem(client, product(3).id, 2);
    const signup = await client.signup(uniqueEmail('cart'), STRONG_PASSWORD);
    assert.equal(signup.statusCode, 201);
    const cart = (await client.request({ method: 'GET', url: '/api/cart' })).json<CartBody>();
    assert.deepEqual(
      cart.items.map((l) => [l.productId, l.quantity]),
      [[product(3).id, 2]],
    );
    await setItem(client, product(4).id, 1);
    assert.equal((await client.request({ method: 'GET', url: '/api/cart' })).json<CartBody>().itemCount, 3);
  });

  await t.test('refuses a cart change without the CSRF token (ASVS 50.4.3, cross-site request forgery)', async () => {
    const client = shop.client();
    await client.csrfToken();
    const res = await client.request({
      method: 'POST',
      url: '/api/cart/items',
      payload: { productId: product(0).id, quantity: 1 },
      csrf: false,
    });
    assert.equal(res.statusCode, 403);
    assertErrorBody(res.json(), 'csrf_token_invalid');
  });

  await t.test('answers 413 body_too_large to an oversized body', async () => {
    const res = await shop.client().request({
      method: 'POST',
      url: '/api/cart/items',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ productId: product(0).id, quantity: 1, pad: 'x'.repeat(4096) }),
    });
    assert.equal(res.statusCode, 413);
    assertErrorBody(res.json(), 'body_too_large');
  });

  await t.test('answers 415 unsupported_media_type to a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await shop.client().request({
        method: 'POST',
        url: '/api/cart/items',
        headers: { 'content-type': type },
        payload: `productId=${product(0).id}&quantity=1`,
      });
      assert.equal(res.statusCode, 415, type);
      assertErrorBody(res.json(), 'unsupported_media_type');
    }
  });

  await t.test('answers 400 invalid_json to malformed JSON', async () => {
    const res = await shop.client().request({
      method: 'POST',
      url: '/api/cart/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"productId": ',
    });
    assert.equal(res.statusCode, 400);
    assertErrorBody(res.json(), 'invalid_json');
  });

  await t.test('never answers 5xx to fuzzed bodies, malformed JSON or path ids (fast-check)', async () => {
    const client = shop.client();
    const ids = fc.oneof(fc.uuid(), fc.constantFrom(product(0).id, usd.id), fc.string({ maxLength: 50 }));
    const body = fc.oneof(
      fc.record(
        { productId: ids, quantity: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double(), fc.string()) },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await client.request({
          method: 'POST',
          url: '/api/cart/items',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(payload)}: ${res.body}`);
        if (res.statusCode >= 400) assertErrorBody(res.json());
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (raw) => {
        const res = await client.request({
          method: 'POST',
          url: '/api/cart/items',
          headers: { 'content-type': 'application/json' },
          payload: raw,
        });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${raw}`);
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        const res = await client.request({ method: 'DELETE', url: `/api/cart/items/${encodeURIComponent(id)}` });
        assert.ok(res.statusCode === 200 || res.statusCode === 400, `${res.statusCode} for ${id}`);
      }),
      { numRuns: 60 },
    );
  });

  await t.test('prices the cart from the current catalogue, so a stale client price cannot be used', async () => {
    const client = shop.client();
    await setItem(client, product(0).id, 1);
    await shop.db
      .update(products)
      .set({ priceMinor: product(0).priceMinor + 100 })
      .where(eq(products.id, product(0).id));
    const cart = (await client.request({ method: 'GET', url: '/api/cart' })).json<CartBody>();
    assert.equal(cart.subtotalMinor, product(0).priceMinor + 100);
  });

  await t.test(
    'passes the shared schema-driven fuzz with malformed JSON and wrong types (support/fuzz.ts)',
    async () => {
      await fuzzRoute(shop.app, shop.client(), { method: 'POST', url: '/api/cart/items' });
      await fuzzRoute(shop.app, shop.client(), { method: 'GET', url: '/api/cart' });
    },
  );
});
