import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { storeReports } from './report-store.js';
import { CspReportsRequest } from './schemas.js';
import { violationsOf } from './violation.js';

/** A report is a few hundred bytes; a Reporting API batch of 20 stays well under this. */
export const CSP_REPORT_BODY_LIMIT = 32 * 1024;
/** Per client address: enough for a page that trips several directives, not for a flood. */
export { CSP_REPORTS_PER_MINUTE } from '../../rate-limits.js';

const REPORT_TYPES = ['application/csp-report', 'application/reports+json'];

/** The request's own origin as a browser names it (default port dropped); none for an unusable Host. */
function ownOrigin(protocol: string, host: string): string[] {
  try {
    return [new URL(`${protocol}://${host}`).origin];
  } catch {
    return [];
  }
}

/**
 * `POST /api/csp-reports`: browsers report what the CSP blocked on our pages, so an injected
 * or unlisted script on the payment page raises an alert (PCI DSS v4.0.1 11.6.1). Browsers
 * send these without our CSRF header and outside any session, so the route is exempt from
 * CSRF; it is rate-limited and size-bounded instead, and only ever stores. Every field is
 * reduced and masked (violation.ts), reports about pages that are not ours are dropped, and
 * storage is bounded per client and in total (report-store.ts).
 */
export default async function cspReportRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const allowedOrigins = app.config.ALLOWED_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Encapsulated: on this route only these two content types are parsed, anything else is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    REPORT_TYPES,
    { parseAs: 'string', bodyLimit: CSP_REPORT_BODY_LIMIT },
    app.getDefaultJsonParser('error', 'error'),
  );

  app.post(
    '/api/csp-reports',
    {
      bodyLimit: CSP_REPORT_BODY_LIMIT,
      config: { csrf: false, rateLimit: app.rateLimits.cspReports },
      schema: {
        tags: ['security'],
        summary: 'Receive Content-Security-Policy violation reports from browsers',
        consumes: REPORT_TYPES,
        body: CspReportsRequest,
        response: { 204: { type: 'null' }, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const ownOrigins = new Set([...ownOrigin(request.protocol, request.host), ...allowedOrigins]);
      const { violations, received } = violationsOf(request.body, ownOrigins);
      const stored = await storeReports(app.db, request.ip, received, violations);
      for (const v of violations.slice(0, stored)) {
        request.log.warn(
          {
            csp: {
              directive: v.effectiveDirective,
              blocked: v.blockedUri,
              document: v.documentUri,
              disposition: v.disposition,
            },
          },
          'content security policy violation',
        );
      }
      return reply.code(204).send(null);
    },
  );
}
