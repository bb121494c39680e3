import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailTemplate } from '@shop/shared/mail-request';
import { escapeHtml, formatMoney, renderMail, TemplateDataMissingError } from '../../src/mail/templates.js';

const HOSTILE = `"><img src=https://tracker.example/p.gif onerror=alert(1)><a href="javascript:x">`;
const order = {
  id: '6a1f2c3d-0000-4000-8000-000000000001',
  currency: 'JPY',
  totalMinor: 1500,
  items: [{ name: HOSTILE, quantity: 3, unitPriceMinor: 500 }],
  shipping: { name: HOSTILE, city: 'Porthaven' },
};
const ctx = { baseUrl: 'https://shop.example.test', name: HOSTILE, token: 'A'.repeat(43), order };
const ALLOWED_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'body', 'p', 'a', 'table', 'tr', 'td']);
const templates = MailTemplate.anyOf.map((t) => t.const as MailTemplate);

describe('mail templates (plain text and HTML, escaped, nothing remote, no tracking)', () => {
  it('escape every value a person or the catalogue wrote, so none becomes markup, an image or a link', () => {
    assert.equal(templates.length, 6);
    for (const template of templates) {
      const mail = renderMail(template, ctx);
      assert.ok(mail.subject && mail.text && mail.html, template);
      assert.ok(!mail.html.includes(HOSTILE), `${template}: the raw value reached the HTML`);
      // Every real tag is one of the template's own, with no attribute but href and charset.
      for (const [tag, name, attributes] of mail.html.matchAll(/<\/?([a-z!]+)([^>]*)>/gi)) {
        assert.ok(ALLOWED_TAGS.has((name ?? '').toLowerCase()), `${template}: ${tag}`);
        const names: string[] = [];
        const rest = (attributes ?? '').replace(/\s([a-z-]+)="[^"]*"/gi, (_m, n: string) => {
          names.push(n);
          return '';
        });
        assert.equal(rest.trim(), name === '!doctype' ? 'html' : '', `${template}: ${tag}`);
        assert.ok(
          names.every((n) => n === 'href' || n === 'charset'),
          `${template}: ${tag}`,
        );
      }
      for (const [, href] of mail.html.matchAll(/href="([^"]*)"/g)) {
        assert.ok(href?.startsWith('https://shop.example.test/'), `${template}: ${href}`);
      }
      assert.ok(mail.html.includes(escapeHtml(HOSTILE)), `${template}: the greeting keeps the name, escaped`);
      assert.ok(!/[\r\n]/.test(mail.subject), 'a subject of one line');
    }
  });

  it('carry the token only in the link of its own page, URL-encoded, and refuse a link mail without one', () => {
    const token = 'abc-_DEF'.repeat(6);
    const verify = renderMail('email_verification', { ...ctx, token });
    assert.ok(verify.text.includes(`https://shop.example.test/verify-email?token=${token}`));
    const reset = renderMail('password_reset', { ...ctx, token });
    assert.ok(reset.text.includes(`https://shop.example.test/reset-password?token=${token}`));
    for (const template of ['password_changed', 'data_export', 'account_deleted', 'order_confirmation'] as const) {
      assert.ok(!renderMail(template, { ...ctx, token }).text.includes(token), template);
    }
    assert.throws(() => renderMail('password_reset', { ...ctx, token: undefined }), TemplateDataMissingError);
    assert.throws(() => renderMail('order_confirmation', { ...ctx, order: undefined }), TemplateDataMissingError);
  });

  it('price lines and totals in the currency exponent (JPY has none)', () => {
    assert.equal(formatMoney(1500, 'JPY'), '¥1,500');
    assert.equal(formatMoney(4900, 'EUR'), '€49.00');
    const text = renderMail('order_confirmation', ctx).text;
    assert.ok(text.includes('¥1,500'), text);
    assert.ok(text.includes('Porthaven'));
  });
});
