// Offline Stripe (ARCHITECTURE: no default for the Stripe keys): without keys the api answers
// checkout with 503 payments_not_configured, and the storefront explains it instead of failing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import { addToCart, fillShippingAddress, newShopper, searchAndOpenFirst, signUp } from '../support/shopper.js';

describe('checkout without Stripe keys, in Chromium', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;

  before(async () => {
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: false });
    browser = await launchChromium(hooks);
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  it('says that payments are not configured and loads no Stripe.js', async () => {
    const context = await newContext(browser);
    hooks.after(() => context.close());
    const page = await context.newPage();
    const stripeRequests: string[] = [];
    page.on('request', (r) => {
      if (/stripe\.com/.test(new URL(r.url()).hostname)) stripeRequests.push(r.url());
    });
    await searchAndOpenFirst(page, stack.url, 'pasta');
    await addToCart(page);
    await page.goto(`${stack.url}/signup?next=/checkout`);
    await signUp(page, newShopper());
    await page.waitForURL(`${stack.url}/checkout`);
    await fillShippingAddress(page);
    const alert = page.getByRole('alert').filter({ hasText: 'Payments are not configured' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /cannot take payments right now/);
    assert.equal(await page.getByRole('button', { name: 'Pay now' }).count(), 0);
    assert.deepEqual(stripeRequests, [], 'no Stripe.js without a publishable key');
  });
});
