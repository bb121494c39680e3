import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { catalogueSeedRows, seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';
import { buildTestApp } from '../../helper.js';
import { fuzzRoute } from '../../support/fuzz.js';

interface ProductBody {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
}
interface ListBody {
  items: ProductBody[];
  total: number;
}

const CONTRACT_FIELDS = ['currency', 'description', 'id', 'name', 'priceMinor'];

function assertErrorBody(body: unknown, code?: string): void {
  // Only the stable error shape: no stack, no SQL, no internals (ARCHITECTURE non-negotiable 3).
  assert.deepEqual(Object.keys(body as object), ['error']);
  const error = (body as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
  if (code) assert.equal(error.code, code);
  assert.doesNotMatch(String(error.message), /\bat \S+ \(|\.ts:\d+|select |postgres/i);
}

test('GET /api/products and GET /api/products/:id', async (t) => {
  const shop = await buildTestApp(t, { env: { RATE_LIMIT_GLOBAL_MAX: '100000' } });
  await seedCatalogue(shop.db);
  const client = shop.client();
  const get = async (url: string) => client.request({ method: 'GET', url });

  await t.test('lists the whole seeded catalogue by name when q is empty, 20 per page by default', async () => {
    const res = await get('/api/products');
    assert.equal(res.statusCode, 200);
    const body = res.json<ListBody>();
    assert.equal(body.total, catalogueSeedRows().length);
    assert.equal(body.items.length, 20);
    const names = body.items.map((p) => p.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    for (const item of body.items) {
      assert.deepEqual(Object.keys(item).sort(), CONTRACT_FIELDS, 'only the public contract fields (no sku, stock)');
      assert.ok(Number.isInteger(item.priceMinor) && item.priceMinor > 0, 'money in integer minor units');
      assert.equal(item.currency, 'EUR');
    }
  });

  await t.test('treats a blank q like an empty one', async () => {
    const res = await get('/api/products?q=%20%20&limit=5');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<ListBody>().total, 200);
  });

  await t.test('paginates without overlap and keeps the total on every page, even past the end', async () => {
    const first = (await get('/api/products?limit=50&offset=0')).json<ListBody>();
    const second = (await get('/api/products?limit=50&offset=50')).json<ListBody>();
    const ids = new Set([...first.items, ...second.items].map((p) => p.id));
    assert.equal(ids.size, 100);
    assert.equal(second.total, 200);
    const past = await get('/api/products?limit=10&offset=5000');
    assert.equal(past.statusCode, 200);
    assert.deepEqual(past.json(), { items: [], total: 200 });
    const pastSearch = await get('/api/products?q=coffee&offset=9000');
    assert.equal(pastSearch.json<ListBody>().items.length, 0);
    assert.ok(pastSearch.json<ListBody>().total > 0);
  });

  await t.test('finds products by words of their name or description, with stemming', async () => {
    const body = (await get('/api/products?q=sweaters&limit=100')).json<ListBody>();
    assert.equal(body.total, 4);
    assert.ok(body.items.every((p) => p.name.startsWith('Merino Wool Crew Sweater')));
    const phrase = (await get(`/api/products?q=${encodeURIComponent('"dark chocolate"')}&limit=100`)).json<ListBody>();
    assert.ok(phrase.items.some((p) => p.name.startsWith('Dark Chocolate 72% Bars')));
    const none = (await get('/api/products?q=zeppelin')).json<ListBody>();
    assert.deepEqual(none, { items: [], total: 0 });
  });

  await t.test('ranks a match in the name above a match only in the description', async () => {
    const body = (await get('/api/products?q=coffee&limit=100')).json<ListBody>();
    const inName = body.items.map((p) => /coffee/i.test(p.name));
    assert.ok(inName.includes(true) && inName.includes(false), 'the fixture has both kinds of match');
    assert.equal(inName.indexOf(false), inName.lastIndexOf(true) + 1, 'every name match comes first');
    assert.equal(body.total, body.items.length);
  });

  await t.test('searches through the GIN index on the generated search column', async () => {
    const c = new pg.Client({ connectionString: shop.ownerUrl });
    await c.connect();
    try {
      // 200 rows are cheap to scan, so the planner must be told not to: what is checked is that
      // the index exists and serves the exact predicate the route uses.
      await c.query('set enable_seqscan = off');
      const plan = await c.query(
        "explain select id from products where search @@ websearch_to_tsquery('english', 'coffee')",
      );
      const text = plan.rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
      assert.match(text, /products_search_idx/);
    } finally {
      await c.end();
    }
  });

  await t.test('accepts full-text operator characters in q as plain text (no 500)', async () => {
    for (const q of [`'`, '&|!', '(a', 'a:*', '\\', '"unterminated', '-', 'or', '<->', '!!!coffee', '%', 'ä ö ü ß']) {
      const res = await get(`/api/products?q=${encodeURIComponent(q)}`);
      assert.equal(res.statusCode, 200, `q=${q}`);
    }
  });

  await t.test(
    'bounds the query: q over 100 characters, control characters, limit and offset out of range',
    async () => {
      const cases = [
        `q=${'a'.repeat(101)}`,
        'q=%00',
        'q=a%0Ab',
        'limit=0',
        'limit=101',
        'limit=abc',
        'offset=-1',
        'offset=10001',
        'limit=1.5',
      ];
      for (const qs of cases) {
        const res = await get(`/api/products?${qs}`);
        assert.equal(res.statusCode, 400, qs);
        assertErrorBody(res.json(), 'validation_failed');
      }
      assert.equal((await get(`/api/products?q=${'a'.repeat(100)}`)).statusCode, 200);
      assert.equal((await get('/api/products?limit=100&offset=10000')).statusCode, 200);
    },
  );

  await t.test('refuses unknown query parameters instead of ignoring them', async () => {
    const res = await get('/api/products?q=tea&sort=price');
    assert.equal(res.statusCode, 400);
    assertErrorBody(res.json(), 'validation_failed');
  });

  await t.test('answers one product by id with the contract fields', async () => {
    const [first] = (await get('/api/products?limit=1')).json<ListBody>().items;
    assert.ok(first);
    const res = await get(`/api/products/${first.id}`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), first);
  });

  await t.test('answers 404 product_not_found for an unknown id', async () => {
    const res = await get(`/api/products/${randomUUID()}`);
    assert.equal(res.statusCode, 404);
    assertErrorBody(res.json(), 'product_not_found');
  });

  await t.test(
    'answers 400 for an id that is not a canonical UUID, including forms PostgreSQL would refuse',
    async () => {
      for (const id of ['not-a-uuid', `urn:uuid:${randomUUID()}`, '1', `${randomUUID()}x`, `{${randomUUID()}}`]) {
        const res = await get(`/api/products/${encodeURIComponent(id)}`);
        assert.equal(res.statusCode, 400, id);
        assertErrorBody(res.json(), 'validation_failed');
      }
    },
  );

  await t.test('never answers 5xx to fuzzed query strings and ids (fast-check)', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.integer().map(String),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const key = fc.constantFrom('q', 'limit', 'offset', 'q[]', 'x', '__proto__', 'constructor');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 4 }), async (pairs) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const res = await get(`/api/products?${qs}`);
        assert.ok(res.statusCode === 200 || res.statusCode === 400, `${res.statusCode} for ?${qs}`);
        if (res.statusCode === 400) assertErrorBody(res.json());
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.uuid()), async (id) => {
        const res = await get(`/api/products/${encodeURIComponent(id)}`);
        assert.ok([200, 400, 404].includes(res.statusCode), `${res.statusCode} for ${id}`);
      }),
      { numRuns: 100 },
    );
  });

  await t.test(
    'passes the shared schema-driven fuzz of its query (support/fuzz.ts): no 5xx, no internals',
    async () => {
      await fuzzRoute(shop.app, shop.client(), { method: 'GET', url: '/api/products' });
    },
  );
});
