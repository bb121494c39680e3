import { maskCardNumbers } from '@shop/shared/card-numbers';
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

/**
 * URLs are kept as origin and path only: the Stripe return page carries the PaymentIntent's
 * client secret in its query, and other pages may carry search terms or personal data.
 * Keywords browsers use instead of a URL ('inline', 'eval', 'data') are kept as they are.
 */
export function withoutQuery(value: string | undefined): string {
  if (!value) return '';
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.origin}${u.pathname}`.slice(0, 2048);
    return u.protocol.replace(/:$/, '');
  } catch {
    return value.replace(/[?#].*$/s, '').slice(0, 200);
  }
}

function sample(value: string | undefined): string | null {
  return value ? maskCardNumbers(value).slice(0, 256) : null;
}

export function fromCspReport(body: Static<typeof CspReportBody>): Violation {
  const r = body['csp-report'];
  const effective = r['effective-directive'] ?? r['violated-directive']?.split(' ')[0] ?? 'unknown';
  return {
    format: 'csp-report',
    documentUri: withoutQuery(r['document-uri']),
    blockedUri: withoutQuery(r['blocked-uri']),
    effectiveDirective: effective,
    violatedDirective: r['violated-directive'] ?? null,
    disposition: r.disposition ?? 'enforce',
    sourceFile: r['source-file'] ? withoutQuery(r['source-file']) : null,
    lineNumber: r['line-number'] ?? null,
    columnNumber: r['column-number'] ?? null,
    statusCode: r['status-code'] ?? null,
    sample: sample(r['script-sample']),
  };
}

export function fromReports(body: Static<typeof ReportsBody>): Violation[] {
  return body.map(({ body: b }) => ({
    format: 'reports+json',
    documentUri: withoutQuery(b.documentURL),
    blockedUri: withoutQuery(b.blockedURL),
    effectiveDirective: b.effectiveDirective,
    violatedDirective: null,
    disposition: b.disposition,
    sourceFile: b.sourceFile ? withoutQuery(b.sourceFile) : null,
    lineNumber: b.lineNumber ?? null,
    columnNumber: b.columnNumber ?? null,
    statusCode: b.statusCode ?? null,
    sample: sample(b.sample),
  }));
}
