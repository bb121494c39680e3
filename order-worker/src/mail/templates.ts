import type { MailTemplate } from '@shop/shared/mail-request';

/**
 * The mails the shop sends, each as plain text and HTML. Every value that came from a person
 * or the database is escaped before it enters the HTML; the HTML has no remote image, no
 * stylesheet or font from elsewhere, no tracking pixel and no link but the shop's own pages
 * (a mail client that loads nothing remote shows it whole, and opening it tells no one).
 */
export interface OrderSummary {
  id: string;
  currency: string;
  totalMinor: number;
  items: { name: string; quantity: number; unitPriceMinor: number }[];
  /** Name and city only: the full address stays in the tokenizer. */
  shipping?: { name: string; city: string } | undefined;
}

export interface MailContext {
  /** The storefront's origin (STOREFRONT_ORIGIN). */
  baseUrl: string;
  /** The shopper's name, when the tokenizer has one. */
  name?: string | undefined;
  /** One-time secret of a verification or reset link. */
  token?: string | undefined;
  order?: OrderSummary | undefined;
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** Formats integer minor units in the currency's own exponent (JPY has none, EUR two). */
export function formatMoney(minor: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** A link to one of the shop's pages; a token travels URL-encoded in the query. */
function link(baseUrl: string, path: string, token?: string): string {
  const url = new URL(path, `${baseUrl}/`);
  if (token !== undefined) url.searchParams.set('token', token);
  return url.toString();
}

/** A paragraph of text (escaped), or a link (escaped href and label). */
type Block = { p: string } | { a: string; label: string } | { table: string[][] };

function compose(subject: string, greetingName: string | undefined, blocks: Block[]): MailContent {
  const greeting = greetingName ? `Hello ${greetingName},` : 'Hello,';
  const text: string[] = [greeting, ''];
  const html: string[] = [`<p>${escapeHtml(greeting)}</p>`];
  for (const block of blocks) {
    if ('p' in block) {
      text.push(block.p, '');
      html.push(`<p>${escapeHtml(block.p)}</p>`);
    } else if ('a' in block) {
      text.push(`${block.label}: ${block.a}`, '');
      html.push(`<p><a href="${escapeHtml(block.a)}">${escapeHtml(block.label)}</a></p>`);
    } else {
      for (const row of block.table) text.push(row.join('  '));
      text.push('');
      const rows = block.table.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
      html.push(`<table>${rows.join('')}</table>`);
    }
  }
  text.push('The shop');
  html.push('<p>The shop</p>');
  return {
    subject,
    text: `${text.join('\n')}\n`,
    html: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>${html.join('')}</body></html>\n`,
  };
}

function requireToken(ctx: MailContext): string {
  if (!ctx.token) throw new TemplateDataMissingError('token');
  return ctx.token;
}

function requireOrder(ctx: MailContext): OrderSummary {
  if (!ctx.order) throw new TemplateDataMissingError('order');
  return ctx.order;
}

/** A request that lacks what its template needs can never be sent (it is recorded dead). */
export class TemplateDataMissingError extends Error {
  override name = 'TemplateDataMissingError';
}

export function renderMail(template: MailTemplate, ctx: MailContext): MailContent {
  switch (template) {
    case 'email_verification':
      return compose('Confirm your email address', ctx.name, [
        { p: 'Please confirm that this address is yours. The link works once and expires in 24 hours.' },
        { a: link(ctx.baseUrl, '/verify-email', requireToken(ctx)), label: 'Confirm my email address' },
        { p: 'If you did not create an account, ignore this mail.' },
      ]);
    case 'password_reset':
      return compose('Reset your password', ctx.name, [
        { p: 'Someone asked to reset the password of your account. The link works once and expires in 30 minutes.' },
        { a: link(ctx.baseUrl, '/reset-password', requireToken(ctx)), label: 'Choose a new password' },
        { p: 'If it was not you, ignore this mail: your password stays as it is.' },
      ]);
    case 'password_changed':
      return compose('Your password was changed', ctx.name, [
        { p: 'The password of your account was just changed, and every session was signed out.' },
        { p: 'If you did not do this, reset your password at once and contact us.' },
        { a: link(ctx.baseUrl, '/login'), label: 'Sign in' },
      ]);
    case 'order_confirmation': {
      const order = requireOrder(ctx);
      const rows = order.items.map((i) => [
        `${i.quantity} x ${i.name}`,
        formatMoney(i.unitPriceMinor * i.quantity, order.currency),
      ]);
      rows.push(['Total', formatMoney(order.totalMinor, order.currency)]);
      return compose(`Your order ${order.id.slice(0, 8)}`, ctx.name, [
        { p: 'Thank you: we received your payment and are preparing your order.' },
        { table: rows },
        ...(order.shipping ? [{ p: `Shipping to ${order.shipping.name}, ${order.shipping.city}.` }] : []),
        { a: link(ctx.baseUrl, `/account/orders/${order.id}`), label: 'See your order' },
      ]);
    }
    case 'data_export':
      return compose('Your data', ctx.name, [
        { p: 'As you asked, the data this shop holds about you is attached as a JSON file.' },
        { p: 'Card numbers are not in it: the shop never holds them; only the card brand and last four digits are.' },
        { p: 'If you did not ask for this, change your password and contact us.' },
      ]);
    case 'account_deleted':
      return compose('Your account was deleted', ctx.name, [
        { p: 'Your account and your personal data are being erased, as you asked. You will get no further mail.' },
        { p: 'Orders are kept only with what the law requires (amounts, dates, payment references).' },
      ]);
  }
}
