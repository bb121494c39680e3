import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StripeDouble } from '../../../api/test/support/stripe-double.js';
import { launchChromium } from '../../../storefront/test/support/browser.js';
import { startTokenizer, type TokenizerHarness } from '../../../vault-tokenizer/test/helper.js';
import type { Role } from '../../src/auth/access.js';
import { HttpTokenizerClient } from '../../src/tokenizer/tokenizer-client.js';
import { type PortalHarness, startPortal } from '../helper.js';
import { paidOrder, refundsVia } from '../support/orders.js';

// Issue 10, "done when": in Chromium, with Playwright's client certificates (the staff mTLS
// handshake) and a TOTP code computed by the test, a support member reveals a field with a
// reason, a finance member asks for a refund above the threshold, a second finance member
// approves it, and an admin finds all of it in the audit trail viewer. Real tokenizer over
// mTLS, the Stripe API double.

let h: PortalHarness;
let tok: TokenizerHarness;
let stripe: StripeDouble;
let tokenizer: HttpTokenizerClient;
let browser: Browser;
let orderId: string;
const RIVER = {
  email: 'river.song@example.com',
  name: 'River Song',
  address: { name: 'River Song', line1: '2 Low Road', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
};

before(async () => {
  tok = await startTokenizer();
  stripe = await new StripeDouble().start();
  tokenizer = new HttpTokenizerClient(`https://127.0.0.1:${tok.port}`, await tok.ca.material('admin-portal'));
  h = await startPortal({
    deps: {
      tokenizer,
      refunds: refundsVia(stripe),
    },
  });
  orderId = await paidOrder({ owner: h.db.owner, tok, stripe }, RIVER, 50_000);
});
after(async () => {
  await h?.close();
  tokenizer?.close();
  await tok?.close();
  await stripe?.stop();
});

/** A staff member's browser: their certificate offered at the handshake, first login with enrolment. */
async function staffBrowser(handle: string, roles: Role[]): Promise<{ context: BrowserContext; page: Page }> {
  await h.addStaff(handle, roles);
  const context = await browser.newContext({
    // The portal's server certificate comes from the test's internal CA.
    ignoreHTTPSErrors: true,
    clientCertificates: [
      {
        origin: `https://127.0.0.1:${h.port}`,
        certPath: h.pki.staffCa.certFile(handle),
        keyPath: h.pki.staffCa.keyFile(handle),
      },
    ],
  });
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${h.port}/login`);
  assert.match(page.url(), /\/enrol\/totp$/);
  const secret = (await page.locator('#totp-secret').textContent()) ?? '';
  assert.match(secret, /^[A-Z2-7]{16,}$/);
  await page.fill('input[name="code"]', await generate({ secret, epoch: Math.floor(h.clock.ms / 1000) }));
  await Promise.all([page.waitForURL(`https://127.0.0.1:${h.port}/`), page.click('button[type="submit"]')]);
  assert.equal(await page.locator('#staff-handle').textContent(), handle);
  return { context, page };
}

describe('the staff journey in Chromium', () => {
  it('logs in with a client certificate and TOTP, reveals with a reason, asks for a refund a second person approves, and finds it all in the audit trail (PCI DSS 8.4.2, 8.5.1, 10.2.1.1, 10.2.1.2)', async (t) => {
    browser = await launchChromium(t);
    const base = `https://127.0.0.1:${h.port}`;
    // Without a certificate the handshake fails: Chromium gets no page at all.
    const stranger = await browser.newContext({ ignoreHTTPSErrors: true });
    await assert.rejects((await stranger.newPage()).goto(`${base}/login`));
    await stranger.close();

    const support = await staffBrowser('sam', ['support']);
    await support.page.goto(`${base}/orders/${orderId}`);
    assert.match((await support.page.locator('main').textContent()) ?? '', /r\*+@e\*+\.com/);
    await support.page.selectOption('#reveal-form select[name="field"]', 'email');
    await support.page.fill('#reveal-form input[name="reason"]', 'customer asked for a copy of the invoice');
    await support.page.click('#reveal-form button[type="submit"]');
    assert.equal(await support.page.locator('#revealed-value').textContent(), 'river.song@example.com');

    const asker = await staffBrowser('fiona', ['finance']);
    await asker.page.goto(`${base}/orders/${orderId}`);
    await asker.page.fill('#refund-form input[name="amount"]', '20000');
    await asker.page.fill('#refund-form input[name="reason"]', 'parcel lost in transit');
    await asker.page.click('#refund-form button[type="submit"]');
    assert.equal(await asker.page.locator('#refund-status').textContent(), 'awaiting_approval');
    assert.equal(stripe.requests.filter((r) => r.path === '/v1/refunds').length, 0, 'nothing refunded yet');

    const approver = await staffBrowser('frank', ['finance']);
    await approver.page.goto(`${base}/approvals`);
    const row = approver.page.locator('tr[data-approval]', { hasText: orderId });
    await Promise.all([
      approver.page.waitForURL(`${base}/approvals`),
      row.locator('button', { hasText: 'Approve' }).click(),
    ]);
    const refunded = await h.db.owner.query('SELECT refunded_minor FROM orders WHERE id = $1', [orderId]);
    assert.equal(refunded.rows[0]?.refunded_minor, 20_000);
    assert.equal(stripe.requests.filter((r) => r.path === '/v1/refunds').length, 1);

    const auditor = await staffBrowser('ada', ['admin']);
    await auditor.page.goto(`${base}/audit`);
    const rows = await auditor.page.locator('#audit tr').allTextContents();
    const has = (...parts: string[]) => rows.some((r) => parts.every((p) => r.includes(p)));
    assert.ok(has('sam', 'login', 'ok', 'totp'), 'the login with its second factor');
    assert.ok(
      has('sam', 'customer.reveal', orderId, 'ok', 'customer asked for a copy of the invoice'),
      'the reveal with its reason',
    );
    assert.ok(has('fiona', 'refund.requested', orderId, 'ok'), 'the refund request');
    assert.ok(has('frank', 'approval.approve', 'ok'), 'the approval by the second person');
    assert.ok(has('refund.executed', orderId, 'ok'), 'the refund Stripe confirmed');
    assert.ok(has('ada', 'audit.viewed'), 'and this very look at the trail');
    for (const c of [support, asker, approver, auditor]) await c.context.close();
  });
});
