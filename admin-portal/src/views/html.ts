/**
 * Typed HTML templates with escaping by default (issue 10, item 6; ASVS 5.3.1): every value
 * interpolated into `html` is escaped unless it is itself the result of `html` (SafeHtml).
 * There is no way to mark a plain string as safe, so personal data or a query string can only
 * reach a page escaped.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolation) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

export interface LayoutOptions {
  title: string;
  /** Handle of the signed-in staff member, shown in the header with a logout form. */
  staff?: { handle: string; csrfToken: string } | undefined;
}

/** The page frame. No inline script or style anywhere: the CSP is `default-src 'self'`. */
export function layout(opts: LayoutOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · Shop staff portal</title>
<link rel="stylesheet" href="/static/portal.css">
</head>
<body>
<header><strong>Shop staff portal</strong>${
    opts.staff
      ? html` <nav><a href="/">Home</a> <a href="/orders">Orders</a> <a href="/payment-reviews">Payment reviews</a> <a href="/approvals">Approvals</a> <a href="/staff">Staff</a> <a href="/audit">Audit</a> <a href="/security-keys">Security keys</a></nav>
<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${opts.staff.csrfToken}"><span>${opts.staff.handle}</span> <button type="submit">Log out</button></form>`
      : ''
  }</header>
<main>
<h1>${opts.title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

export function errorPage(status: number, code: string, message: string): string {
  return layout(
    { title: status >= 500 ? 'Service unavailable' : 'Request refused' },
    html`<p class="error">${message}</p><p>Error code: <code id="error-code">${code}</code></p>`,
  );
}
