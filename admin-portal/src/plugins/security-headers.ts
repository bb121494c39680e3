import { type HelmetOptions, helmetHeaders } from '@shop/shared/security-headers';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The portal's headers in helmet's own terms (test/routes/security-headers.test.ts compares
 * the result with what @fastify/helmet sends for the same options, so the two cannot drift).
 * No inline script or style anywhere, and the portal is never framed (clickjacking). The
 * portal terminates its own TLS (staff mTLS), so it sends HSTS itself.
 */
export const PORTAL_HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
};

/** Computed once when the module loads (issue 9, item 4), set by one hook on every answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(helmetHeaders(PORTAL_HELMET_OPTIONS));

export const securityHeaders = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', function portalSecurityHeaders(_request, reply, done) {
      reply.headers(SECURITY_HEADERS);
      done();
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);
