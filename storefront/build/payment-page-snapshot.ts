// What a browser receives when it opens the payment page: the security headers and every
// script and stylesheet the page loads, with the hash of what the server really serves.
// Compared with an approved baseline on a schedule (PCI DSS v4.0.1 11.6.1: detect
// unauthorised changes to the payment page's headers and scripts, at least weekly).
import { pageResources } from './html-tags.js';
import { sriHash } from './sri.js';

/** Headers that carry the page's protection; anything else (dates, etags) may change freely. */
export const WATCHED_HEADERS = [
  'content-security-policy',
  'content-security-policy-report-only',
  'reporting-endpoints',
  'report-to',
  'strict-transport-security',
  'x-frame-options',
  'x-content-type-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
  'cross-origin-resource-policy',
  'cache-control',
] as const;

// A current Chromium's navigation request, so the server answers as it answers shoppers.
const BROWSER_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  'sec-fetch-user': '?1',
  'upgrade-insecure-requests': '1',
};

export interface ResourceSnapshot {
  kind: 'script' | 'style';
  /** Path for our own files (so a baseline holds behind any host name), absolute URL for others, `inline #n` for inline code. */
  src: string;
  /** The integrity attribute the page declares, if any. */
  integrity: string | null;
  /** sha384 of what our server serves for a same-origin file; null for other origins and inline code. */
  served: string | null;
}

export interface PaymentPageSnapshot {
  url: string;
  status: number;
  headers: Record<string, string | null>;
  resources: ResourceSnapshot[];
}

export async function snapshotPaymentPage(url: string): Promise<PaymentPageSnapshot> {
  const res = await fetch(url, { headers: BROWSER_HEADERS, redirect: 'follow' });
  const html = await res.text();
  const finalUrl = new URL(res.url || url);
  const headers: Record<string, string | null> = {};
  for (const name of WATCHED_HEADERS) headers[name] = res.headers.get(name);
  const resources: ResourceSnapshot[] = [];
  let inline = 0;
  for (const r of pageResources(html)) {
    if (r.inline || !r.src) {
      inline += 1;
      resources.push({ kind: r.kind, src: `inline #${inline}`, integrity: null, served: sriHash(r.raw) });
      continue;
    }
    const abs = new URL(r.src, finalUrl);
    let served: string | null = null;
    if (abs.origin === finalUrl.origin) {
      const file = await fetch(abs, { headers: { 'user-agent': BROWSER_HEADERS['user-agent'] } });
      served = file.ok ? sriHash(new Uint8Array(await file.arrayBuffer())) : `http ${file.status}`;
    }
    const src = abs.origin === finalUrl.origin ? `${abs.pathname}${abs.search}` : abs.toString();
    resources.push({ kind: r.kind, src, integrity: r.integrity ?? null, served });
  }
  return { url: finalUrl.toString(), status: res.status, headers, resources };
}

/** Every difference, one readable line each; empty when the page is as approved. */
export function diffSnapshots(approved: PaymentPageSnapshot, current: PaymentPageSnapshot): string[] {
  const lines: string[] = [];
  if (approved.status !== current.status) lines.push(`status changed: ${approved.status} -> ${current.status}`);
  for (const name of WATCHED_HEADERS) {
    const before = approved.headers[name] ?? null;
    const after = current.headers[name] ?? null;
    if (before === after) continue;
    if (before === null) lines.push(`header added: ${name}\n    + ${after}`);
    else if (after === null) lines.push(`header removed: ${name}\n    - ${before}`);
    else lines.push(`header changed: ${name}\n    - ${before}\n    + ${after}`);
  }
  const key = (r: ResourceSnapshot) => `${r.kind} ${r.src}`;
  const was = new Map(approved.resources.map((r) => [key(r), r]));
  const now = new Map(current.resources.map((r) => [key(r), r]));
  for (const [k, r] of now) {
    const old = was.get(k);
    if (!old) {
      lines.push(`${r.kind} added: ${r.src}${r.integrity ? ` (integrity ${r.integrity})` : ''}`);
      continue;
    }
    if (old.integrity !== r.integrity)
      lines.push(`${r.kind} integrity changed: ${r.src}\n    - ${old.integrity}\n    + ${r.integrity}`);
    if (old.served !== r.served)
      lines.push(`${r.kind} content changed: ${r.src}\n    - ${old.served}\n    + ${r.served}`);
  }
  for (const [k, r] of was) if (!now.has(k)) lines.push(`${r.kind} removed: ${r.src}`);
  return lines;
}
