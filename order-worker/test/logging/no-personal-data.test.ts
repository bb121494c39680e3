import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { mailDeliveries, outbox } from '@shop/api/db/schema';
import { writeMailRequest } from '@shop/api/pipeline/outbox';
import type { MailTemplate } from '@shop/shared/mail-request';
import { freePort, waitFor } from '@shop/shared/test-harness';
import { count } from 'drizzle-orm';
import { mailStack, SHIPPING } from '../support/mail-stack.js';

// Stripe's documented test number: Luhn-valid, never a real card. Searched for as itself, with
// any spaces or dashes between its digits (a generic Luhn scan would flag log timestamps).
const PAN = '4242424242424242';
const PAN_PATTERN = new RegExp(PAN.split('').join('[ -]*'));

describe('[C-002] the order-worker logs (PCI DSS v4.0.1 3.3, 10.2; ASVS 7.1.1: no personal data in logs)', () => {
  it('hold no card number, address, name or mail token, whatever a message carries and whatever fails on the way', async (t) => {
    const s = await mailStack(t);
    const shopper = await s.shopper('Pat Holder');
    const tokens = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
    const templates: [MailTemplate, string | undefined][] = [
      ['email_verification', tokens[0]],
      ['password_reset', tokens[1]],
      ['password_changed', undefined],
      ['data_export', undefined],
      ['account_deleted', undefined],
    ];
    for (const [template, token] of templates) {
      await s.db.transaction((tx) =>
        writeMailRequest(tx, { template, userId: shopper.userId, ...(token ? { token } : {}) }),
      );
    }
    await s.paidOrder(shopper);
    // Messages outside their contract, carrying a card number and an address where none belongs.
    await s.db.insert(outbox).values([
      {
        topic: 'mail.requested',
        payload: { requestId: PAN, template: 'password_changed', userId: shopper.userId, to: shopper.email },
      },
      { topic: 'order.paid', payload: { orderId: `${PAN} ${shopper.email}`, note: PAN } },
    ]);

    // 1. The tokenizer unreachable: every mail waits, retried.
    const unreachable = await s.startWorker({
      TOKENIZER_URL: `https://127.0.0.1:${await freePort()}`,
      MAIL_DELIVERY_LIMIT: '50',
    });
    await waitFor(
      'retries with the tokenizer unreachable',
      async () => unreachable.stats().retried ?? 0,
      (n) => n >= 6,
      60_000,
    );
    await unreachable.stop();

    // 2. The relay refusing, then accepting: every mail sent.
    s.smtp.mode = 'refuse';
    const worker = await s.startWorker({ MAIL_DELIVERY_LIMIT: '50' });
    await waitFor(
      'refused tries',
      async () => s.smtp.attempts,
      (n) => n >= 6,
      60_000,
    );
    s.smtp.mode = 'accept';
    await waitFor(
      'every mail sent',
      async () => (await s.db.select({ n: count() }).from(mailDeliveries))[0]?.n ?? 0,
      (n) => n === 6,
      60_000,
    );
    await worker.stop();

    // The sweep covers lines of every kind: sent, retried, poison, tokenizer and relay failures.
    const text = s.logLines.join('\n');
    for (const expected of ['mail sent', 'mail not sent, will retry', 'outbox row failed']) {
      assert.ok(text.includes(`"msg":"${expected}"`), `the sweep saw no "${expected}" line`);
    }
    const secrets = [
      shopper.email,
      shopper.email.split('@')[0] as string,
      'Holder',
      ...tokens,
      SHIPPING.name,
      SHIPPING.line1,
      SHIPPING.city,
      SHIPPING.postalCode,
    ];
    for (const line of s.logLines) {
      assert.doesNotMatch(line, PAN_PATTERN, `a card number in a worker log line: ${line}`);
      for (const secret of secrets) assert.ok(!line.includes(secret), `${secret} in a worker log line: ${line}`);
    }
  });
});
