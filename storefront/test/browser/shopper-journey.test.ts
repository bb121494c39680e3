// The shop in a real browser (Debian's Chromium), served by the real api, paying through a
// Stripe.js double whose card fields live in a cross-origin iframe (https://js.stripe.com as
// the browser sees it), confirmed against the Stripe API double and its signed webhook.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { auditAccessibility } from '../support/axe.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import {
  addToCart,
  cardFrame,
  fillCard,
  followVerificationMail,
  logOutAndIn,
  newShopper,
  reachPaymentStep,
  searchAndOpenFirst,
  signUp,
  TEST_CARD,
} from '../support/shopper.js';
import { DECLINED_CARD, StripeJsDouble } from '../support/stripe-js-double/stripe-js-double.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts', 'storefront');

describe('storefront in Chromium, payments configured', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;
  let stripeJs: StripeJsDouble;

  before(async () => {
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: true });
    browser = await launchChromium(hooks);
    if (!stack.stripe) throw new Error('the stack has no Stripe API double');
    stripeJs = await new StripeJsDouble({ backend: stack.stripe, webhookUrl: stack.webhookUrl }).start();
    hooks.after(() => stripeJs.stop());
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newContext(browser);
    await stripeJs.install(context);
    hooks.after(() => context.close());
    return { context, page: await context.newPage() };
  }

  it('takes a shopper from search to a paid order listed in their account (search, product, cart, sign up, checkout, confirmation)', async () => {
    const { page } = await freshPage();
    const base = stack.url;
    const { product } = await reachPaymentStep(page, base, stack.db);
    await fillCard(page);
    await page.getByRole('button', { name: 'Pay now' }).click();

    // 1. Stripe redirected back; the confirmation shows the order's status from the api.
    await page.waitForURL(/\/checkout\/complete\?order=/);
    await page.getByRole('heading', { level: 1, name: 'Thank you, your payment was received' }).waitFor();
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'paid');
    // The client secret is gone from the address bar (and so from history and reports).
    assert.doesNotMatch(page.url(), /client_secret/);
    const orderId = new URL(page.url()).searchParams.get('order');
    assert.ok(orderId);
    assert.deepEqual(stripeJs.webhookStatuses, [200], 'the signed webhook was accepted by the api');

    // 2. The order is in the account, paid, with only brand and last 4 of the card.
    await page.getByRole('link', { name: 'See all your orders' }).click();
    const row = page.getByRole('row', { name: new RegExp(`Order ${orderId.slice(0, 8)}`) });
    await row.waitFor();
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Order details' }).waitFor();
    await page.getByText(product).waitFor();
    await page.getByText('Paid', { exact: true }).waitFor();
    await page.getByText(/ending 4242/).waitFor();

    // 3. The card number went to "Stripe" only: never in a request to the shop or its logs.
    assert.ok(stripeJs.cardNumbersReceived.includes(TEST_CARD));
    assert.doesNotMatch(stack.logs.text(), /4242424242424242|4242 4242 4242 4242/);
  });

  it('shows a declined card as an error on the checkout page and lets the shopper try again', async () => {
    const { page } = await freshPage();
    await reachPaymentStep(page, stack.url, stack.db);
    await fillCard(page, DECLINED_CARD);
    await page.getByRole('button', { name: 'Pay now' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
    assert.match(page.url(), /\/checkout$/);
    assert.equal(await page.getByRole('button', { name: 'Pay now' }).isEnabled(), true, 'the shopper can try again');
  });

  it('[C-001] has no input in our own DOM that could hold a card number, and our page cannot read the iframe fields (SAQ A, PCI DSS 6.4.3)', async () => {
    const { page } = await freshPage();
    await reachPaymentStep(page, stack.url, stack.db);
    await fillCard(page);
    const seen = await page.evaluate(() => {
      const fields = [...document.querySelectorAll('input, textarea, select, [contenteditable]')].map((el) => ({
        tag: el.tagName,
        type: el.getAttribute('type'),
        name: el.getAttribute('name'),
        autocomplete: el.getAttribute('autocomplete'),
      }));
      const frames = [...document.querySelectorAll('iframe')];
      const reads = frames.map((f) => {
        let doc: string;
        try {
          doc = f.contentDocument ? 'readable' : 'null';
        } catch {
          doc = 'threw';
        }
        let viaWindow: string;
        try {
          viaWindow = f.contentWindow?.document ? 'readable' : 'null';
        } catch {
          viaWindow = 'threw';
        }
        return { src: f.src, doc, viaWindow };
      });
      return { fields, reads, text: document.documentElement.outerHTML };
    });
    assert.deepEqual(seen.fields, [], 'the payment step has no field of our own');
    assert.ok(seen.reads.length >= 1);
    for (const r of seen.reads) {
      assert.equal(new URL(r.src).origin, 'https://js.stripe.com', 'card fields come from Stripe only');
      assert.equal(r.doc, 'null', 'contentDocument of a cross-origin frame is null');
      assert.equal(r.viaWindow, 'threw', 'its window document throws a SecurityError');
    }
    assert.ok(!seen.text.includes(TEST_CARD), 'the typed number appears nowhere in our page');
    // The number really is in the frame: the frame is where the shopper typed it.
    assert.equal(await cardFrame(page).getByLabel('Card number').inputValue(), TEST_CARD);
  });

  it('keeps nothing in localStorage, sessionStorage or IndexedDB after login, and the session cookie is HttpOnly (not in document.cookie)', async () => {
    const { context, page } = await freshPage();
    const shopper = newShopper();
    await page.goto(`${stack.url}/signup`);
    await signUp(page, shopper);
    await logOutAndIn(page, shopper);

    const storage = await page.evaluate(async () => ({
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
      idb: (await indexedDB.databases()).map((d) => d.name),
      cookie: document.cookie,
    }));
    assert.deepEqual(storage.local, []);
    assert.deepEqual(storage.session, []);
    assert.deepEqual(storage.idb, []);
    const cookies = await context.cookies(stack.url);
    const session = cookies.filter((c) => c.httpOnly);
    assert.ok(session.length >= 1, 'the browser holds the HttpOnly session cookie');
    for (const c of session) {
      assert.ok(!storage.cookie.includes(c.value), `${c.name} is not readable by document.cookie`);
      assert.equal(c.secure, true);
      assert.notEqual(c.sameSite, 'None');
    }
  });

  it('shows no serious or critical axe-core violation on the main pages (WCAG 2.1 AA)', async () => {
    const { page } = await freshPage();
    const problems: string[] = [];
    const audit = (label: string) => auditAccessibility(page, label, problems);
    await page.goto(`${stack.url}/`);
    await page.locator('.product-card').first().waitFor();
    await audit('catalogue');
    await page.screenshot({ path: join(ARTIFACTS, 'catalogue.png'), fullPage: true });
    await searchAndOpenFirst(page, stack.url, 'lamp');
    await audit('product');
    await addToCart(page);
    await page.goto(`${stack.url}/cart`);
    await page.getByRole('table').waitFor();
    await audit('cart');
    await page.goto(`${stack.url}/login`);
    await audit('log in');
    await page.goto(`${stack.url}/signup?next=/checkout`);
    await audit('sign up');
    await signUp(page, newShopper());
    await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
    await audit('checkout, email not verified');
    await followVerificationMail(page, stack.url, stack.db);
    await audit('email verified');
    await page.goto(`${stack.url}/checkout`);
    await page.getByRole('heading', { name: '1. Shipping address' }).waitFor();
    await audit('checkout, address');
    await page.getByLabel('Full name').fill('Ada Shopper');
    await page.getByLabel('Address', { exact: true }).fill('1 Analytical Street');
    await page.getByLabel('City').fill('Berlin');
    await page.getByLabel('Postal code').fill('10115');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await cardFrame(page).getByLabel('Card number').waitFor();
    await audit('checkout, payment');
    await page.screenshot({ path: join(ARTIFACTS, 'checkout.png'), fullPage: true });
    await page.goto(`${stack.url}/account`);
    await page.getByRole('heading', { name: 'Your orders' }).waitFor();
    await audit('account');
    assert.deepEqual(problems, []);
  });
});
