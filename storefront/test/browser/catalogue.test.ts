// The catalogue browser in Chromium on a catalogue larger than the api counts exactly and
// deeper than its offset bound (api README, "Catalogue search"): the total shows as an
// estimate, Next and Previous page by cursor, and a page past the offset bound is reachable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { TOTAL_EXACT_UP_TO as API_EXACT_UP_TO } from '../../../api/src/routes/products/catalogue-engine.js';
import { SEARCH_RESULTS_MAX as API_SEARCH_MAX } from '../../../api/src/routes/products/product-search.js';
import { PAGE_MAX_OFFSET as API_MAX_OFFSET } from '../../../api/src/routes/products/schemas.js';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { MAX_OFFSET, PAGE_SIZE, SEARCH_RESULTS_MAX, TOTAL_EXACT_UP_TO } from '../../src/api/shop.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';

// The 200 seeded products plus enough to pass the offset bound by a few pages.
const EXTRA = MAX_OFFSET + 5 * PAGE_SIZE;

describe('catalogue browser in Chromium, past the exact count and the offset bound', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;

  before(async () => {
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: false });
    await stack.db.execute(sql`
      insert into products (sku, name, description, price_minor, currency, stock)
      select 'big-' || i, 'Shelf item ' || lpad(i::text, 6, '0'), 'A plain shelf item.', 100 + i, 'EUR', 1
      from generate_series(1, ${EXTRA}) as i`);
    await stack.db.execute(sql`analyze products`);
    browser = await launchChromium(hooks);
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  async function freshPage(): Promise<Page> {
    const context = await newContext(browser);
    hooks.after(() => context.close());
    return context.newPage();
  }

  /** The names the api lists at this position, straight from the table in the route's order. */
  async function namesAt(offset: number): Promise<string[]> {
    const { rows } = await stack.db.execute<{ name: string }>(
      sql`select name from products order by name, id offset ${offset} limit ${PAGE_SIZE}`,
    );
    return rows.map((r) => r.name);
  }

  /**
   * The names on the page once its cards show `expected`'s first one: the summary line can
   * update before the new page's cards replace the loading state, so reading at once races.
   */
  async function shownNames(page: Page, expected: string[]): Promise<string[]> {
    if (expected[0]) await page.locator('.product-card h2', { hasText: expected[0] }).first().waitFor();
    return page.locator('.product-card h2').allTextContents();
  }

  it('shows "1,000+ products" when the total is an estimate, and pages forward and back by cursor', async () => {
    const page = await freshPage();
    await page.goto(`${stack.url}/`);
    await page.getByText(`Showing 1–${PAGE_SIZE} of 1,000+ products`).waitFor();
    assert.equal(
      await page.locator('.pagination [aria-current="page"]').textContent(),
      'Page 1',
      'no page count for an estimate',
    );
    const expected1 = await namesAt(0);
    assert.deepEqual(await shownNames(page, expected1), expected1);

    await page.getByRole('link', { name: 'Next →' }).click();
    await page.getByText(`Showing ${PAGE_SIZE + 1}–${2 * PAGE_SIZE} of 1,000+ products`).waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('page'), '2');
    assert.ok(url.searchParams.get('after'), 'page 2 is asked for by cursor');
    const expected2 = await namesAt(PAGE_SIZE);
    assert.deepEqual(await shownNames(page, expected2), expected2);

    await page.getByRole('link', { name: 'Next →' }).click();
    await page.getByText(`Showing ${2 * PAGE_SIZE + 1}–`).waitFor();
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.getByText(`Showing ${PAGE_SIZE + 1}–${2 * PAGE_SIZE} of`).waitFor();
    const expected3 = await namesAt(PAGE_SIZE);
    assert.deepEqual(await shownNames(page, expected3), expected3);
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.getByText(`Showing 1–${PAGE_SIZE} of`).waitFor();
    assert.equal(new URL(page.url()).search, '');
  });

  it('reaches a page beyond the offset bound by cursor, and pages on from it', async () => {
    // The last page the api still serves by offset, then its cursor: what Next would carry.
    const lastByOffset = Math.floor(MAX_OFFSET / PAGE_SIZE) + 1;
    const res = await fetch(
      `${stack.directUrl}/api/products?limit=${PAGE_SIZE}&offset=${(lastByOffset - 1) * PAGE_SIZE}`,
    );
    const body = (await res.json()) as { nextCursor: string | null };
    assert.ok(body.nextCursor);
    const beyond = lastByOffset + 1;
    assert.ok((beyond - 1) * PAGE_SIZE > MAX_OFFSET, 'the page is past what offset may reach');

    const page = await freshPage();
    await page.goto(`${stack.url}/?page=${beyond}&after=${body.nextCursor}`);
    const first = (beyond - 1) * PAGE_SIZE + 1;
    await page.getByText(`Showing ${first.toLocaleString('en-GB')}–`).waitFor();
    const expected4 = await namesAt(first - 1);
    assert.deepEqual(await shownNames(page, expected4), expected4);

    await page.getByRole('link', { name: 'Next →' }).click();
    await page.getByText(`Showing ${(first + PAGE_SIZE).toLocaleString('en-GB')}–`).waitFor();
    const expected5 = await namesAt(first - 1 + PAGE_SIZE);
    assert.deepEqual(await shownNames(page, expected5), expected5);
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.getByText(`Showing ${first.toLocaleString('en-GB')}–`).waitFor();
    const expected6 = await namesAt(first - 1);
    assert.deepEqual(await shownNames(page, expected6), expected6);

    // An old-style address past the bound (no cursor) starts over instead of failing.
    await page.goto(`${stack.url}/?page=${beyond + 10}`);
    await page.getByText(`Showing 1–${PAGE_SIZE} of 1,000+ products`).waitFor();
  });

  it('mirrors the api bounds it pages by (offset bound, exact-count cap, search depth)', () => {
    assert.deepEqual(
      [MAX_OFFSET, TOTAL_EXACT_UP_TO, SEARCH_RESULTS_MAX],
      [API_MAX_OFFSET, API_EXACT_UP_TO, API_SEARCH_MAX],
    );
  });

  it('keeps an exact count and a page count for a search under the cap', async () => {
    const page = await freshPage();
    await page.goto(`${stack.url}/?q=lamp`);
    const count = page.locator('.result-count');
    await count.waitFor();
    assert.match((await count.textContent()) ?? '', /^Showing 1–\d+ of \d+ products?$/);
  });
});
