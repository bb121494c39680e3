// PCI DSS v4.0.1 6.4.3 and 11.6.1: a script that is not ours or Stripe's cannot run on the
// payment page, and the browser reports the attempt to the api (POST /api/csp-reports).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { cspReports } from '../../../api/src/db/schema/csp-reports.js';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import type { ScriptInventory } from '../../build/script-inventory.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront, type TestBuild } from '../support/build-storefront.js';
import { reachPaymentStep } from '../support/shopper.js';
import { StripeJsDouble } from '../support/stripe-js-double/stripe-js-double.js';

const EVIL_SCRIPT = 'https://cdn.evil.example/skimmer.js';

async function waitForReport(stack: StorefrontStack, blocked: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const rows = await stack.db.select().from(cspReports);
    if (rows.some((r) => r.blockedUri === blocked)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

describe('Content-Security-Policy on the payment page, in Chromium', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let build: TestBuild;
  let stack: StorefrontStack;
  let browser: Browser;
  let stripeJs: StripeJsDouble;

  before(async () => {
    build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: true });
    browser = await launchChromium(hooks);
    if (!stack.stripe) throw new Error('the stack has no Stripe API double');
    stripeJs = await new StripeJsDouble({ backend: stack.stripe, webhookUrl: stack.webhookUrl }).start();
    hooks.after(() => stripeJs.stop());
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  async function paymentPage(): Promise<{ page: Page }> {
    const context = await newContext(browser);
    await stripeJs.install(context);
    hooks.after(() => context.close());
    const page = await context.newPage();
    await reachPaymentStep(page, stack.url, stack.db);
    return { page };
  }

  it('blocks an injected inline script and the api receives the violation report', async () => {
    const { page } = await paymentPage();
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injectedInline = true;';
      document.body.appendChild(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __injectedInline?: boolean }).__injectedInline === true;
    });
    assert.equal(ran, false, 'the inline script must not run');
    assert.ok(await waitForReport(stack, 'inline'), 'a CSP report for the inline script reached the api');
  });

  it('blocks a script from an unlisted origin before any request is made, and the api receives the report', async () => {
    const { page } = await paymentPage();
    // Listened for before the script is added: the event can reach the test after evaluate returns.
    const failed = page.waitForEvent('requestfailed', { predicate: (r) => r.url() === EVIL_SCRIPT, timeout: 20_000 });
    const outcome = await page.evaluate(
      (src) =>
        new Promise<string>((resolve) => {
          const s = document.createElement('script');
          s.src = src;
          s.onload = () => resolve('loaded');
          s.onerror = () => resolve('blocked');
          document.head.appendChild(s);
        }),
      EVIL_SCRIPT,
    );
    assert.equal(outcome, 'blocked');
    // 'csp' is Chromium's reason when the policy stops a load before it reaches the network
    // (the test's own network guard would say net::ERR_BLOCKED_BY_CLIENT instead).
    assert.equal((await failed).failure()?.errorText, 'csp');
    assert.ok(await waitForReport(stack, EVIL_SCRIPT), 'a CSP report for the unlisted script reached the api');
  });

  it('runs only scripts listed in payment-page-scripts.json on the payment page', async () => {
    const { page } = await paymentPage();
    const inventory = JSON.parse(readFileSync(build.inventoryPath, 'utf8')) as ScriptInventory;
    const listed = new Set(inventory.scripts.map((s) => s.src));
    const loaded = await page.evaluate(() => {
      const fromTags = [...document.scripts].map((s) => s.src).filter(Boolean);
      const fromNetwork = performance
        .getEntriesByType('resource')
        .filter((e) => (e as PerformanceResourceTiming).initiatorType === 'script')
        .map((e) => e.name);
      return [...new Set([...fromTags, ...fromNetwork])];
    });
    assert.ok(
      loaded.some((src) => src.startsWith('https://js.stripe.com/')),
      'Stripe.js is on the payment page',
    );
    for (const src of loaded) {
      const url = new URL(src);
      const key = url.origin === new URL(stack.url).origin ? url.pathname : `${url.origin}${url.pathname}`;
      assert.ok(listed.has(key), `${key} runs on the payment page but is not in the inventory`);
    }
  });
});
