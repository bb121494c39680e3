import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { mailDeliveries, outbox } from '@shop/api/db/schema';
import { writeMailRequest } from '@shop/api/pipeline/outbox';
import type { MailTemplate } from '@shop/shared/mail-request';
import { waitFor } from '@shop/shared/test-harness';
import { count, eq, sql } from 'drizzle-orm';
import { mailStack, SHIPPING } from '../support/mail-stack.js';
import { undispatchedCount } from '../support/pipeline-harness.js';
import type { ReceivedMail } from '../support/smtp-sink.js';

const token = () => randomBytes(32).toString('base64url');

function only(received: ReceivedMail[], subject: RegExp): ReceivedMail {
  const found = received.filter((m) => subject.test(m.parsed.subject ?? ''));
  assert.equal(found.length, 1, `one mail matching ${subject}: ${received.map((m) => m.parsed.subject).join(' | ')}`);
  return found[0] as ReceivedMail;
}

/** Plain text and HTML, nothing loaded from elsewhere, no tracking, links only to the storefront. */
function assertSelfContained(mail: ReceivedMail): void {
  const html = mail.parsed.html || '';
  assert.ok(mail.parsed.text && html, 'plain text and HTML');
  assert.doesNotMatch(html, /<img|<link|<script|<iframe|url\(|src=/i, 'no remote image, style or script');
  for (const [, href] of html.matchAll(/href="([^"]*)"/g)) {
    assert.ok(href?.startsWith('https://shop.example.test/'), `a link only to the storefront: ${href}`);
  }
  assert.doesNotMatch(mail.raw, /utm_|pixel|beacon/i, 'no tracking');
}

describe('[C-050] shopper mail from the order-worker (issue 11: composed from tokenizer reads, sent once per request)', () => {
  it('sends every template to the address the tokenizer holds, once per request id, and logs no address, name or token', async (t) => {
    const s = await mailStack(t);
    const shopper = await s.shopper();
    const tokens = { verify: token(), reset: token() };
    // 1. The api's side of the contract: mail requests in the outbox, naming the user only.
    const requests: [MailTemplate, string | undefined][] = [
      ['email_verification', tokens.verify],
      ['password_reset', tokens.reset],
      ['password_changed', undefined],
      ['data_export', undefined],
      ['account_deleted', undefined],
    ];
    const { orderId } = await s.paidOrder(shopper);
    const requestIds: string[] = [];
    for (const [template, tok] of requests) {
      requestIds.push(
        await s.db.transaction((tx) =>
          writeMailRequest(tx, { template, userId: shopper.userId, ...(tok ? { token: tok } : {}) }),
        ),
      );
    }
    // 2. The worker, embedded mode, with its own certificate and an SMTP server on loopback.
    const worker = await s.startWorker();
    assert.equal(worker.mode, 'embedded');
    assert.match(worker.mail ?? '', /SMTP \(loopback\) to 127\.0\.0\.1/);
    await waitFor(
      'six mails received',
      async () => s.smtp.received.length,
      (n) => n >= 6,
      60_000,
    );
    await waitFor(
      'six deliveries recorded',
      async () => (await s.db.select({ n: count() }).from(mailDeliveries))[0]?.n ?? 0,
      (n) => n === 6,
      20_000,
    );
    const received = s.smtp.received;
    assert.equal(received.length, 6);
    for (const mail of received) {
      assert.deepEqual(mail.to, [shopper.email], 'sent to the address only the tokenizer holds');
      assert.equal(mail.parsed.from?.value[0]?.address, 'shop@shop.example.test');
      assertSelfContained(mail);
    }

    // 3. Each template's content.
    const verify = only(received, /Confirm your email/);
    assert.ok(verify.parsed.text?.includes(`https://shop.example.test/verify-email?token=${tokens.verify}`));
    assert.ok(
      (verify.parsed.html || '').includes(`href="https://shop.example.test/verify-email?token=${tokens.verify}"`),
    );
    // The shopper's name is escaped in HTML (it is the shopper's own text) and plain in the text part.
    assert.ok((verify.parsed.html || '').includes('Hello Sam &lt;b&gt;&amp;amp; &quot;Co&quot;&lt;/b&gt;,'));
    assert.ok(verify.parsed.text?.includes(`Hello ${shopper.name},`));
    const reset = only(received, /Reset your password/);
    assert.ok(reset.parsed.text?.includes(`https://shop.example.test/reset-password?token=${tokens.reset}`));
    assert.ok(!reset.parsed.text?.includes(tokens.verify), 'each mail carries its own token only');
    only(received, /password was changed/);
    only(received, /account was deleted/);

    const confirmation = only(received, /Your order /);
    const text = confirmation.parsed.text ?? '';
    assert.ok(text.includes('2 x Enamel mug'), text);
    assert.ok(text.includes('1 x Tee <shirt>'), text);
    assert.ok(text.includes('€24.00') && text.includes('€25.00') && text.includes('€49.00'), text);
    assert.ok(text.includes(`Shipping to ${SHIPPING.name}, ${SHIPPING.city}.`), text);
    assert.ok(!text.includes(SHIPPING.line1) && !text.includes(SHIPPING.postalCode), 'name and city only');
    assert.ok((confirmation.parsed.html || '').includes('Tee &lt;shirt&gt;'), 'product names escaped');
    assert.ok(text.includes(`https://shop.example.test/account/orders/${orderId}`));

    const exported = only(received, /Your data/);
    const attachment = exported.parsed.attachments[0];
    assert.equal(exported.parsed.attachments.length, 1);
    assert.equal(attachment?.contentType, 'application/json');
    const data = JSON.parse(attachment?.content.toString('utf8') ?? '{}');
    assert.equal(data.profile.id, shopper.userId);
    assert.equal(data.profile.email, shopper.email);
    assert.equal(data.profile.name, shopper.name);
    assert.deepEqual(data.addresses, [SHIPPING]);
    assert.equal(data.orders.length, 1);
    assert.equal(data.orders[0].id, orderId);
    assert.deepEqual(data.orders[0].card, { brand: 'visa', last4: '4242' }, 'brand and last 4 only');
    assert.equal(data.orders[0].items.length, 2);
    assert.doesNotMatch(JSON.stringify(data), /\b\d{13,19}\b|cvc|expiry|exp_month/i, 'no card data');

    // 4. Recorded sent, with the template and the try that succeeded; no address or token stored.
    const rows = await s.db.select().from(mailDeliveries);
    assert.deepEqual(rows.map((r) => r.status).sort(), Array(6).fill('sent'));
    for (const id of requestIds)
      assert.ok(
        rows.some((r) => r.requestId === id && r.attempts === 1),
        id,
      );
    assert.doesNotMatch(JSON.stringify(rows), /@|Sam|token=/);
    // The mail requests, done, no longer hold their tokens (migration 0013; the links above had them).
    await waitFor(
      'every request marked done',
      () => undispatchedCount(s.db),
      (n) => n === 0,
      20_000,
    );
    const done = JSON.stringify(await s.db.select({ payload: outbox.payload }).from(outbox));
    assert.ok(!done.includes(tokens.verify) && !done.includes(tokens.reset), 'no one-time token kept in the outbox');

    // 5. A redelivery mails nothing: every row handed to the worker again is a duplicate.
    await s.db.update(outbox).set({ dispatchedAt: null }).where(sql`true`);
    await waitFor(
      'the redelivered rows handled',
      () => undispatchedCount(s.db),
      (n) => n === 0,
      30_000,
    );
    assert.equal(s.smtp.received.length, 6, 'never twice');
    // Counted after each COMMIT returns, which the query above can see first.
    await waitFor(
      'six duplicates counted',
      async () => worker.stats().duplicate ?? 0,
      (n) => n >= 6,
      10_000,
    );

    // 6. No address, name or token in any line the worker logged (PCI DSS v4.0.1 3.3; ASVS 7.1.1).
    assert.ok(s.logLines.some((l) => l.includes('"mail sent"')));
    for (const line of s.logLines) {
      for (const secret of [shopper.email, 'Sam', tokens.verify, tokens.reset, SHIPPING.city, SHIPPING.line1]) {
        assert.ok(!line.includes(secret), `a worker log line holds ${secret}: ${line}`);
      }
    }
  });

  it('records a request it can never send (the subject erased at the tokenizer) as dead, so nobody waits for it', async (t) => {
    const s = await mailStack(t);
    const shopper = await s.shopper('Gone Soon');
    const erased = await s.tokenizer.call('api', 'DELETE', `/v1/subjects/${shopper.userId}`);
    assert.equal(erased.status, 204, JSON.stringify(erased.body));
    const requestId = await s.db.transaction((tx) =>
      writeMailRequest(tx, { template: 'account_deleted', userId: shopper.userId }),
    );
    await s.startWorker();
    const [row] = await waitFor(
      'the request recorded',
      () => s.db.select().from(mailDeliveries).where(eq(mailDeliveries.requestId, requestId)),
      (r) => r.length === 1,
      30_000,
    );
    assert.equal(row?.status, 'dead');
    assert.equal(s.smtp.attempts, 0, 'nothing was sent');
  });

  it('refuses, as poison, a mail request outside its contract and one whose id is not its message id', async (t) => {
    const s = await mailStack(t);
    const shopper = await s.shopper();
    await s.db.insert(outbox).values([
      // An address smuggled into a request: the contract has no such field.
      {
        topic: 'mail.requested',
        payload: { requestId: crypto.randomUUID(), template: 'password_changed', userId: shopper.userId, to: 'x@y.z' },
      },
      {
        topic: 'mail.requested',
        payload: { requestId: crypto.randomUUID(), template: 'password_changed', userId: shopper.userId },
      },
    ]);
    await s.startWorker();
    await waitFor(
      'both set aside',
      async () => (await s.db.select().from(outbox).where(sql`${outbox.deadAt} is not null`)).length,
      (n) => n === 2,
      30_000,
    );
    const dead = await s.db.select().from(outbox);
    assert.deepEqual(
      dead.map((d) => d.lastError),
      ['PoisonMessageError', 'PoisonMessageError'],
    );
    assert.equal(s.smtp.attempts, 0);
  });
});
