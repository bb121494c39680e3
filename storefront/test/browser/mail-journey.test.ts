// Issue 11, "Done when": the whole shopper life in Chromium with real mail. The api, the real
// vault-tokenizer (mutual TLS), the order-worker (its own database role and certificate) and a
// real SMTP server on loopback: signup, the verification mail followed, checkout and its
// confirmation mail, a reset through the mailed link, the data export mail, deletion, and then
// no login, no personal data of the shopper in the shop database, nothing the tokenizer can
// decrypt.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { users } from '../../../api/src/db/schema/index.js';
import { findValuesInDatabase } from '../../../api/test/support/pii-scan.js';
import { type RealTokenizer, startRealTokenizer } from '../../../api/test/support/real-tokenizer.js';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { loadWorkerConfig } from '../../../order-worker/src/config.js';
import { startOrderWorker } from '../../../order-worker/src/server.js';
import { type ReceivedMail, SmtpSink } from '../../../order-worker/test/support/smtp-sink.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import {
  addToCart,
  fillCard,
  fillShippingAddress,
  newShopper,
  searchAndOpenFirst,
  signUp,
} from '../support/shopper.js';
import { StripeJsDouble } from '../support/stripe-js-double/stripe-js-double.js';

/** Polls the SMTP server's inbox until a mail to `to` whose subject matches arrives (deadline 60 s). */
async function mailTo(smtp: SmtpSink, to: string, subject: RegExp): Promise<ReceivedMail> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const mail = smtp.received.find((m) => m.to.includes(to) && subject.test(m.parsed.subject ?? ''));
    if (mail) return mail;
    if (Date.now() > deadline) {
      throw new Error(
        `no mail to the shopper matching ${subject}; received: ${smtp.received.map((m) => m.parsed.subject).join(' | ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function linkIn(mail: ReceivedMail, path: string): string {
  const found = new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.parsed.text ?? '');
  if (!found) throw new Error(`no ${path} link in the mail`);
  return found[0];
}

describe('a shopper from signup to deletion, with real mail (issue 11, done when)', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;
  let stripeJs: StripeJsDouble;
  let tokenizer: RealTokenizer;
  const smtp = new SmtpSink();

  before(async () => {
    tokenizer = await startRealTokenizer(hooks);
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, {
      distDir: build.distDir,
      payments: true,
      fakePii: false,
      env: { ...tokenizer.env, ACCOUNT_ERASURE_MAX_WAIT_MS: '3600000' },
    });
    await smtp.start();
    hooks.after(() => smtp.stop());
    const workerUrl = new URL(stack.ownerUrl);
    workerUrl.username = 'shop_order_worker';
    const worker = await startOrderWorker(
      loadWorkerConfig({
        WORKER_DATABASE_URL: workerUrl.toString(),
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        STOREFRONT_ORIGIN: stack.url,
        MAIL_FROM: 'shop@shop.example.test',
        LOG_LEVEL: 'silent',
        TOKENIZER_URL: tokenizer.env.TOKENIZER_URL,
        TOKENIZER_CA_FILE: tokenizer.harness.ca.caFile,
        TOKENIZER_CERT_FILE: tokenizer.harness.ca.certFile('order-worker'),
        TOKENIZER_KEY_FILE: tokenizer.harness.ca.keyFile('order-worker'),
      }),
    );
    hooks.after(() => worker.stop());
    browser = await launchChromium(hooks);
    if (!stack.stripe) throw new Error('the stack has no Stripe API double');
    stripeJs = await new StripeJsDouble({ backend: stack.stripe, webhookUrl: stack.webhookUrl }).start();
    hooks.after(() => stripeJs.stop());
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  it('signs up, verifies from the mail, checks out with a confirmation mail, resets, exports, deletes, and then nothing of the shopper is left to read', async () => {
    const context = await newContext(browser);
    await stripeJs.install(context);
    hooks.after(() => context.close());
    const page = await context.newPage();
    const base = stack.url;
    const shopper = newShopper();

    // 1. Sign up from the cart; checkout waits for the verification mail's link.
    await searchAndOpenFirst(page, base, 'turntable');
    await addToCart(page);
    await page.goto(`${base}/cart`);
    await page.getByRole('link', { name: 'Sign up to check out' }).click();
    await signUp(page, shopper);
    await page.waitForURL(`${base}/checkout`);
    await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
    const verification = await mailTo(smtp, shopper.email, /^Confirm your email address$/);
    await page.goto(linkIn(verification, '/verify-email'));
    await page.getByText('Your email address is verified').waitFor();

    // 2. Checkout and pay; the confirmation mail arrives.
    await page.goto(`${base}/checkout`);
    await fillShippingAddress(page);
    await fillCard(page);
    await page.getByRole('button', { name: 'Pay now' }).click();
    await page.getByRole('heading', { level: 1, name: 'Thank you, your payment was received' }).waitFor();
    const orderId = new URL(page.url()).searchParams.get('order') ?? '';
    const confirmation = await mailTo(smtp, shopper.email, new RegExp(`^Your order ${orderId.slice(0, 8)}$`));
    assert.ok((confirmation.parsed.text ?? '').includes(orderId.slice(0, 8)), 'the confirmation names the order');

    // 3. Forgot the password: reset through the mailed link, then log in with the new one.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.goto(`${base}/forgot-password`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').waitFor();
    const reset = await mailTo(smtp, shopper.email, /^Reset your password$/);
    await page.goto(linkIn(reset, '/reset-password'));
    const newPassword = `${shopper.password} renewed`;
    await page.locator('#reset-password').fill(newPassword);
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account', exact: true }).waitFor();

    // 4. Download my data: the export arrives by mail.
    const privacy = page.getByRole('region', { name: 'Privacy' });
    const exportForm = privacy.getByRole('form', { name: 'Download my data' });
    await exportForm.getByLabel('Your password').fill(newPassword);
    await exportForm.getByRole('button', { name: 'Email me my data' }).click();
    await exportForm.getByText('Your data is on its way').waitFor();
    const exported = await mailTo(smtp, shopper.email, /^Your data$/);
    assert.equal(exported.parsed.attachments.length, 1, 'the export is attached');
    assert.ok(exported.parsed.attachments[0]?.content.toString('utf8').includes(shopper.email), 'it holds the profile');

    // 5. Delete the account: the last mail, then the erasure.
    const userId = await page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { id: string }).id);
    const [before] = await stack.db.select().from(users).where(eq(users.id, userId));
    const deleteForm = privacy.getByRole('form', { name: 'Delete my account' });
    await deleteForm.getByLabel('Your password').fill(newPassword);
    await deleteForm.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account is deleted' }).waitFor();
    await mailTo(smtp, shopper.email, /^Your account was deleted$/);
    await mailTo(smtp, shopper.email, /^Your password was changed$/);
    const deadline = Date.now() + 60_000;
    // The worker records the mail in mail_deliveries after the SMTP server took it: erase once it has.
    while ((await stack.app.eraseDueAccounts()) === 0) {
      if (Date.now() > deadline) throw new Error('the account was never erased');
      await new Promise((r) => setTimeout(r, 200));
    }

    // 6. The old (and new) credentials open nothing; nothing of the shopper is left to read.
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect' }).waitFor();
    const typed = [shopper.email, shopper.name, '1 Analytical Street', '10115'];
    const tokens = [before?.emailToken, before?.nameToken, before?.emailBlindIndex].filter(
      (v): v is string => typeof v === 'string',
    );
    assert.equal(tokens.length, 3);
    assert.deepEqual(await findValuesInDatabase(stack.ownerUrl, [...typed, ...tokens]), []);
    const read = await tokenizer.harness.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: before?.emailToken, field: 'email' }],
    });
    assert.equal(read.status, 410, 'the tokenizer can no longer decrypt the email');
  });
});
