// The confirmation page after Stripe's redirect, in a real browser: what it says comes from the
// api's order, never from the URL Stripe (or anyone) sent the shopper to. Its own stack, so its
// sign-up does not share the per-client sign-up limit with the shopper journey's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import { reachPaymentStep } from '../support/shopper.js';
import { StripeJsDouble } from '../support/stripe-js-double/stripe-js-double.js';

describe('order confirmation in Chromium (finding 8.10)', () => {
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

  it('[pentest 8.10] never tells the shopper an unpaid order was paid, whatever redirect_status says: the confirmation shows the order status from the api and follows it until the payment lands', async () => {
    const { context, page } = await freshPage();
    // Records whether the words ever appear, even for one frame, while the page polls.
    await context.addInitScript(() => {
      const w = window as unknown as { sawReceived?: boolean };
      new MutationObserver(() => {
        if (document.body?.textContent?.includes('payment was received')) w.sawReceived = true;
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await reachPaymentStep(page, stack.url, stack.db);
    const orderId = await page.evaluate(async () => {
      const res = await fetch('/api/orders', { credentials: 'same-origin' });
      const body = (await res.json()) as { items: { id: string; status: string }[] };
      return body.items[0]?.id ?? '';
    });
    assert.ok(orderId);
    const intent = [...(stack.stripe?.intents.values() ?? [])].find((i) => i.metadata.order_id === orderId);
    assert.ok(intent, 'checkout opened a PaymentIntent');
    // The URL of the finding: anyone can type it, no payment behind it.
    const forged = `${stack.url}/checkout/complete?order=${orderId}&redirect_status=succeeded`;

    await page.goto(forged);
    await page.getByText('Checking your payment…').waitFor();
    await page
      .getByRole('heading', { level: 1, name: 'Your payment is not confirmed yet' })
      .waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'pending_payment');
    await page.getByText('Awaiting payment', { exact: true }).waitFor();
    assert.doesNotMatch(page.url(), /redirect_status/);
    assert.equal(await page.evaluate(() => (window as unknown as { sawReceived?: boolean }).sawReceived), undefined);

    // The payment lands while the page is polling: it follows the api, not the URL.
    await page.goto(forged);
    await page.getByText('Checking your payment…').waitFor();
    const paid = stack.stripe?.succeed(intent.id);
    const hook = await stack.stripe?.deliver(stack.webhookUrl, stack.stripe.event('payment_intent.succeeded', paid));
    assert.equal(hook?.status, 200);
    await page.getByRole('heading', { level: 1, name: 'Thank you, your payment was received' }).waitFor();
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'paid');
  });
});
