import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import pg from 'pg';
import { catalogueSeedRows, seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';
import { TOTAL_EXACT_UP_TO } from '../../../src/routes/products/catalogue-engine.js';
import { encodeCursor } from '../../../src/routes/products/cursor.js';
import {
  listingStatement,
  MATCH_CANDIDATES,
  NAME_CANDIDATES,
  searchStatement,
} from '../../../src/routes/products/product-search.js';
import { PAGE_MAX_OFFSET } from '../../../src/routes/products/schemas.js';
import { parseSearch, searchTsquery } from '../../../src/routes/products/search-query.js';
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
  totalIsEstimate: boolean;
  nextCursor: string | null;
}

const END = { totalIsEstimate: false, nextCursor: null };

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
    assert.deepEqual(past.json(), { items: [], total: 200, ...END });
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
    assert.deepEqual(none, { items: [], total: 0, ...END });
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

  await t.test('[pentest 8.6] every search input answers 200 or a 4xx, however many operators it holds', async () => {
    // 33 dashes made websearch_to_tsquery fail with "tsquery stack too small": a 500.
    const heavy = [
      '-'.repeat(33),
      '-'.repeat(100),
      `coffee ${'-'.repeat(60)}`,
      `${'- '.repeat(50)}`,
      '('.repeat(100),
      '"'.repeat(100),
      `${'-"a" '.repeat(20)}`,
      `${'or '.repeat(33)}`,
      `${'a or '.repeat(20)}`,
      `${'!'.repeat(100)}`,
      `${'<->'.repeat(33)}`,
      `${'&|'.repeat(50)}`,
      `${'-a '.repeat(33)}`,
      `"${'-'.repeat(98)}"`,
      `${'a:* '.repeat(25)}`,
      `${"'".repeat(100)}`,
    ];
    for (const q of heavy) {
      const res = await get(`/api/products?q=${encodeURIComponent(q.slice(0, 100))}`);
      assert.equal(res.statusCode, 200, `q=${q}`);
    }
    const operator = fc.constantFrom(
      '-',
      '"',
      ' or ',
      'OR',
      '(',
      ')',
      '<->',
      '!',
      '&',
      '|',
      ':*',
      "'",
      '\\',
      ' ',
      '<2>',
    );
    const word = fc.constantFrom('coffee', 'tea', 'dark', 'a', 'é', 'ß', '日本', '🙂', 'sweater', 'or', 'not', '72%');
    const query = fc.array(fc.oneof(operator, operator, word, fc.string({ maxLength: 3 })), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(query, async (parts) => {
        const q = parts.join('').slice(0, 100);
        const res = await get(`/api/products?q=${encodeURIComponent(q)}`);
        assert.ok(res.statusCode === 200 || res.statusCode === 400, `${res.statusCode} for q=${JSON.stringify(q)}`);
        if (res.statusCode === 400) assertErrorBody(res.json(), 'validation_failed');
      }),
      { numRuns: 300 },
    );
  });

  await t.test(
    'reads the search box as a search box: phrases, exclusions, or, and a prefix for the last word',
    async () => {
      const ids = async (q: string) =>
        (await get(`/api/products?q=${encodeURIComponent(q)}&limit=100`)).json<ListBody>().items.map((p) => p.name);
      const sweaters = await ids('sweater');
      assert.ok(sweaters.length > 0);
      assert.deepEqual(await ids('swea'), sweaters, 'the last word matches as a prefix');
      assert.deepEqual(await ids('sw'), [], 'but not below three letters (a range of the index per letter)');
      const coffee = await ids('coffee');
      const withoutGrinder = await ids('coffee -grinder');
      assert.ok(withoutGrinder.length > 0 && withoutGrinder.length < coffee.length, 'an exclusion removes matches');
      assert.ok(withoutGrinder.every((n) => !/grinder/i.test(n)));
      const either = await ids('sweater or zeppelin');
      assert.deepEqual([...either].sort(), [...sweaters].sort(), 'or matches either side');
      assert.deepEqual(await ids('-coffee'), [], 'an exclusion alone matches nothing (it could use no index)');
    },
  );

  await t.test('walks the whole listing by cursor in the same order as by offset, without overlap', async () => {
    const byOffset = (await get('/api/products?limit=100'))
      .json<ListBody>()
      .items.concat((await get('/api/products?limit=100&offset=100')).json<ListBody>().items);
    const byCursor: ProductBody[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/products?limit=7${after ? `&after=${after}` : ''}`;
      const res = await get(url);
      assert.equal(res.statusCode, 200);
      const body = res.json<ListBody>();
      assert.equal(body.total, 200);
      byCursor.push(...body.items);
      after = body.nextCursor;
      pages++;
    } while (after && pages < 100);
    assert.equal(pages, Math.ceil(200 / 7), 'the last page says there is no next one');
    assert.deepEqual(
      byCursor.map((p) => p.id),
      byOffset.map((p) => p.id),
    );
  });

  await t.test('pages a ranked search by cursor in rank order, name matches first, as by offset', async () => {
    const all = (await get('/api/products?q=coffee&limit=100')).json<ListBody>().items;
    assert.ok(all.length > 6);
    const walked: ProductBody[] = [];
    let after: string | null = null;
    do {
      const res = await get(`/api/products?q=coffee&limit=3${after ? `&after=${after}` : ''}`);
      assert.equal(res.statusCode, 200);
      const body = res.json<ListBody>();
      walked.push(...body.items);
      after = body.nextCursor;
    } while (after);
    assert.deepEqual(
      walked.map((p) => p.id),
      all.map((p) => p.id),
    );
  });

  await t.test('refuses a cursor it did not make, from another listing, or combined with offset', async () => {
    const first = (await get('/api/products?limit=2')).json<ListBody>();
    const searched = (await get('/api/products?q=coffee&limit=2')).json<ListBody>();
    assert.ok(first.nextCursor && searched.nextCursor);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const id = first.items[0]?.id;
    const bad: [string, string][] = [
      [`after=${searched.nextCursor}`, 'product_cursor_invalid'],
      [`q=coffee&after=${first.nextCursor}`, 'product_cursor_invalid'],
      ['after=bm90LWpzb24', 'product_cursor_invalid'],
      [`after=${b64(['l', 'name'])}`, 'product_cursor_invalid'],
      [`after=${b64(['l', 'na\u0000me', id])}`, 'product_cursor_invalid'],
      [`after=${b64(['l', 'name', 'not-a-uuid'])}`, 'product_cursor_invalid'],
      [`q=tea&after=${b64(['s', 'NaN', 'name', id])}`, 'product_cursor_invalid'],
      [`q=-tea&after=${b64(['x'])}`, 'product_cursor_invalid'],
      [`after=${first.nextCursor}&offset=2`, 'product_paging_conflict'],
      ['after=', 'validation_failed'],
      ['after=a%2Bb', 'validation_failed'],
      [`after=${'a'.repeat(1025)}`, 'validation_failed'],
    ];
    for (const [qs, code] of bad) {
      const res = await get(`/api/products?${qs}`);
      assert.equal(res.statusCode, 400, qs);
      assertErrorBody(res.json(), code);
    }
    // A well-formed cursor this route could have made is only a position: it answers a page.
    const made = encodeCursor({ kind: 'listing', name: 'M', id: randomUUID() });
    assert.equal((await get(`/api/products?after=${made}`)).statusCode, 200);
    const rank = encodeCursor({ kind: 'search', rank: 1e30, name: "'; drop table products; --", id: randomUUID() });
    assert.equal((await get(`/api/products?q=coffee&after=${rank}`)).statusCode, 200);
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

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Rows read from the products table by every scan of a plan (EXPLAIN ANALYZE). */
function productRowsRead(node: PlanNode): number {
  const own = node['Relation Name'] === 'products' ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + productRowsRead(child), 0);
}

/** How many times the plan ran an index scan for a prefix (`:*` in its index condition). */
function prefixScansRun(node: PlanNode): number {
  const own = node['Index Cond']?.includes(':*') ? node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + prefixScansRun(child), 0);
}

test('[C-049] GET /api/products past the exact-total cap and the offset cap: no request costs O(catalogue) (ARCHITECTURE: search that stays fast)', async (t) => {
  const shop = await buildTestApp(t, { env: { RATE_LIMIT_GLOBAL_MAX: '100000' } });
  // More products than the offset bound: every product says "widget", one in a hundred "gadget".
  const PRODUCTS = PAGE_MAX_OFFSET + 300;
  await shop.db.execute(sql`
    insert into products (sku, name, description, price_minor, currency, stock)
    select 'big-' || i, 'Item ' || lpad(i::text, 6, '0'),
      'A widget' || case when i % 100 = 0 then ' gadget' else '' end || case when i = 4242 then ' zeppelin' else '' end,
      100 + i, 'EUR', 1
    from generate_series(1, ${PRODUCTS}) as i`);
  await shop.db.execute(sql`analyze products`);
  const client = shop.client();
  const get = async (url: string) => {
    const res = await client.request({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    return res.json<ListBody>();
  };

  await t.test('says the total is an estimate above the cap, and exact below it', async () => {
    const all = await get('/api/products');
    assert.equal(all.totalIsEstimate, true);
    assert.ok(all.total > TOTAL_EXACT_UP_TO, `an estimate above the cap, got ${all.total}`);
    const common = await get('/api/products?q=widget');
    assert.equal(common.totalIsEstimate, true);
    assert.ok(common.total > TOTAL_EXACT_UP_TO);
    const onePercent = await get('/api/products?q=gadget');
    assert.deepEqual([onePercent.total, onePercent.totalIsEstimate], [Math.floor(PRODUCTS / 100), false]);
    const rare = await get('/api/products?q=zeppelin');
    assert.deepEqual([rare.total, rare.totalIsEstimate, rare.items[0]?.name], [1, false, 'Item 004242']);
  });

  await t.test('reaches a page beyond the offset cap by cursor, in the same order as the table', async () => {
    const atCap = await get(`/api/products?limit=100&offset=${PAGE_MAX_OFFSET}`);
    assert.ok(atCap.nextCursor);
    const beyond = await get(`/api/products?limit=100&after=${atCap.nextCursor}`);
    const expected = await shop.db.execute<{ id: string }>(
      sql`select id from products order by name, id offset ${PAGE_MAX_OFFSET + 100} limit 100`,
    );
    assert.deepEqual(
      beyond.items.map((p) => p.id),
      expected.rows.map((r) => r.id),
    );
    const tooDeep = await client.request({ method: 'GET', url: `/api/products?offset=${PAGE_MAX_OFFSET + 1}` });
    assert.equal(tooDeep.statusCode, 400, 'offset itself stays bounded');
  });

  await t.test('reads a bounded number of rows per request, whatever the catalogue size', async () => {
    const explain = async (statement: ReturnType<typeof sql>) => {
      const { rows } = await shop.db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        sql`explain (analyze, format json) ${statement}`,
      );
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      assert.ok(plan);
      return productRowsRead(plan);
    };
    // The count stops at the cap plus one; the candidates are bounded; a page adds its own rows.
    const bound = TOTAL_EXACT_UP_TO + 1 + NAME_CANDIDATES + MATCH_CANDIDATES + 101;
    const page = { q: '', limit: 100, offset: 0 };
    const listed = await explain(listingStatement(page));
    assert.ok(listed <= bound, `the listing read ${listed} rows`);
    const last = (await get(`/api/products?limit=100&offset=${PAGE_MAX_OFFSET}`)).nextCursor ?? undefined;
    const deep = await explain(listingStatement({ ...page, after: last }));
    assert.ok(deep <= bound, `a deep keyset page read ${deep} rows`);
    for (const q of ['widget', 'item', 'gadget', 'widget -gadget', 'item or widget']) {
      const tsquery = searchTsquery(parseSearch(q));
      assert.ok(tsquery);
      const read = await explain(searchStatement({ ...page, q }, tsquery));
      assert.ok(read <= bound, `q=${q} read ${read} rows of ${PRODUCTS}`);
    }
  });

  await t.test(
    'matches the last word as a prefix only while the whole words fill fewer than MATCH_CANDIDATES candidates',
    async () => {
      // Named after a prefix of "widget" (in every product) and "gadget" (in one in a hundred).
      await shop.db.execute(sql`
        insert into products (sku, name, description, price_minor, currency, stock)
        values ('big-prefix-only', 'Widgetmaker Gadgetry', 'A tool', 100, 'EUR', 1)`);
      const names = async (q: string) =>
        (await get(`/api/products?q=${encodeURIComponent(q)}&limit=100`)).items.map((p) => p.name);
      // "widget" is a whole word of over MATCH_CANDIDATES products: the search is the whole-word one.
      const widget = await names('widget');
      assert.deepEqual(widget, await names('"widget"'), 'the same as the whole word alone');
      assert.ok(!widget.includes('Widgetmaker Gadgetry'));
      // "gadget" is in fewer: its prefix joins, and the prefix-only product is found and counted.
      const gadget = await get('/api/products?q=gadget&limit=100');
      assert.ok(gadget.items.some((p) => p.name === 'Widgetmaker Gadgetry'));
      assert.deepEqual([gadget.total, gadget.totalIsEstimate], [Math.floor(PRODUCTS / 100) + 1, false]);
      assert.ok((await names('widgetm')).includes('Widgetmaker Gadgetry'));
      const prefixScans = async (q: string) => {
        const tsquery = searchTsquery(parseSearch(q));
        assert.ok(tsquery);
        const { rows } = await shop.db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          sql`explain (analyze, format json) ${searchStatement({ q, limit: 20, offset: 0 }, tsquery)}`,
        );
        const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
        assert.ok(plan);
        return prefixScansRun(plan);
      };
      assert.equal(await prefixScans('widget'), 0, 'the prefix scan of a common word never runs');
      assert.ok((await prefixScans('gadget')) > 0, 'the prefix scan of a rarer word runs');
    },
  );
});
