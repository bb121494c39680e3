import { maskFreeText } from '@shop/shared/free-text';
import type { Static } from 'typebox';
import type { CspReportBody, ReportsBody } from './schemas.js';

/** One violation, as stored in csp_reports. */
export interface Violation {
  format: 'csp-report' | 'reports+json';
  documentUri: string;
  blockedUri: string;
  effectiveDirective: string;
  violatedDirective: string | null;
  disposition: string;
  sourceFile: string | null;
  lineNumber: number | null;
  columnNumber: number | null;
  statusCode: number | null;
  sample: string | null;
}

/*
 * The endpoint takes reports from anyone (browsers send them without a session), so every
 * field is reduced to what a report is for before it is stored or logged (issue: card numbers
 * and emails through CSP reports): a known directive name, our own page's path without query,
 * where the blocked resource came from (origin and path, or the browser's keyword), and a
 * short sample; all masked for card-like numbers and emails. A report about a page that is
 * not ours says nothing about our pages and is dropped.
 */

/** CSP Level 3 directive names (and the two legacy ones browsers still report). */
const DIRECTIVES = new Set([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'child-src',
  'frame-src',
  'worker-src',
  'manifest-src',
  'prefetch-src',
  'fenced-frame-src',
  'frame-ancestors',
  'form-action',
  'base-uri',
  'sandbox',
  'navigate-to',
  'require-trusted-types-for',
  'trusted-types',
  'upgrade-insecure-requests',
  'block-all-mixed-content',
  'webrtc',
]);

/** What browsers put in `blocked-uri` instead of a URL. */
const BLOCKED_KEYWORDS = new Set([
  'inline',
  'eval',
  'wasm-eval',
  'self',
  'data',
  'blob',
  'filesystem',
  'mediastream',
  'trusted-types-policy',
  'trusted-types-sink',
]);

const PATH_MAX = 200;
const SAMPLE_MAX = 40;

/** A known directive name (a CSP2 `violated-directive` also lists sources: its first word). */
export function directiveName(value: string | undefined): string | null {
  const name = value?.trim().split(/\s/, 1)[0]?.toLowerCase();
  return name && DIRECTIVES.has(name) ? name : null;
}

function parsed(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Origin and path of an http(s) URL, masked and bounded; a browser keyword as it is; else 'other'. */
export function resourceOf(value: string | undefined): string {
  if (!value) return '';
  const keyword = value.trim().toLowerCase();
  if (BLOCKED_KEYWORDS.has(keyword)) return keyword;
  const u = parsed(value);
  if (!u) return 'other';
  if (u.protocol === 'http:' || u.protocol === 'https:') return maskFreeText(`${u.origin}${u.pathname}`, PATH_MAX);
  const scheme = u.protocol.slice(0, -1);
  return BLOCKED_KEYWORDS.has(scheme) ? scheme : 'other';
}

/** Our page's URL without query or fragment (a Stripe return URL carries a client secret), or null when not ours. */
export function ourPage(value: string | undefined, ownOrigins: ReadonlySet<string>): string | null {
  const u = value ? parsed(value) : null;
  if (!u || !ownOrigins.has(u.origin)) return null;
  return maskFreeText(`${u.origin}${u.pathname}`, PATH_MAX);
}

function sample(value: string | undefined): string | null {
  return value ? maskFreeText(value, SAMPLE_MAX) : null;
}

interface Raw {
  format: Violation['format'];
  document: string | undefined;
  blocked: string | undefined;
  effective: string | undefined;
  violated: string | undefined;
  disposition: string | undefined;
  sourceFile: string | undefined;
  line: number | undefined;
  column: number | undefined;
  status: number | undefined;
  sample: string | undefined;
}

function reduce(r: Raw, ownOrigins: ReadonlySet<string>): Violation | null {
  const documentUri = ourPage(r.document, ownOrigins);
  const effective = directiveName(r.effective) ?? directiveName(r.violated);
  if (!documentUri || !effective) return null;
  return {
    format: r.format,
    documentUri,
    blockedUri: resourceOf(r.blocked),
    effectiveDirective: effective,
    violatedDirective: directiveName(r.violated),
    disposition: r.disposition === 'report' ? 'report' : 'enforce',
    sourceFile: r.sourceFile ? resourceOf(r.sourceFile) : null,
    lineNumber: r.line ?? null,
    columnNumber: r.column ?? null,
    statusCode: r.status ?? null,
    sample: sample(r.sample),
  };
}

/** The violations of one request that concern our pages, reduced; the others are left out. */
export function violationsOf(
  body: Static<typeof CspReportBody> | Static<typeof ReportsBody>,
  ownOrigins: ReadonlySet<string>,
): { violations: Violation[]; received: number } {
  const raws: Raw[] = Array.isArray(body)
    ? body.map(({ body: b }) => ({
        format: 'reports+json',
        document: b.documentURL,
        blocked: b.blockedURL,
        effective: b.effectiveDirective,
        violated: undefined,
        disposition: b.disposition,
        sourceFile: b.sourceFile,
        line: b.lineNumber,
        column: b.columnNumber,
        status: b.statusCode,
        sample: b.sample,
      }))
    : [
        {
          format: 'csp-report',
          document: body['csp-report']['document-uri'],
          blocked: body['csp-report']['blocked-uri'],
          effective: body['csp-report']['effective-directive'],
          violated: body['csp-report']['violated-directive'],
          disposition: body['csp-report'].disposition,
          sourceFile: body['csp-report']['source-file'],
          line: body['csp-report']['line-number'],
          column: body['csp-report']['column-number'],
          status: body['csp-report']['status-code'],
          sample: body['csp-report']['script-sample'],
        },
      ];
  const violations: Violation[] = [];
  for (const r of raws) {
    const v = reduce(r, ownOrigins);
    if (v) violations.push(v);
  }
  return { violations, received: raws.length };
}
