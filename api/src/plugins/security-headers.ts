import { type HelmetOptions, helmetHeaders } from '@shop/shared/security-headers';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export { helmetHeaders };

export const CSP_REPORT_PATH = '/api/csp-reports';

/**
 * The one Content-Security-Policy of the shop (api and storefront share the origin). No
 * 'unsafe-inline'/'unsafe-eval'; Stripe is allowed only where its Payment Element needs it
 * (script from js.stripe.com, frames from js/hooks.stripe.com, XHR to api.stripe.com), which
 * keeps card entry in Stripe's iframes (PCI DSS v4.0.1 6.4.3, 11.6.1).
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", 'https://js.stripe.com'],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'", 'https://api.stripe.com'],
  frameSrc: ['https://js.stripe.com', 'https://hooks.stripe.com'],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  reportUri: [CSP_REPORT_PATH],
  reportTo: ['csp-endpoint'],
};

/** Powerful features off, payment only for us and Stripe's frames. */
export const PERMISSIONS_POLICY = 'payment=(self "https://js.stripe.com"), camera=(), microphone=(), geolocation=()';

/**
 * The definition of the headers, in helmet's own terms (the same options @fastify/helmet
 * takes; test/plugins/security-headers.test.ts compares the two so they cannot drift).
 *
 * HSTS is not here: it belongs to whoever terminates TLS, which is the gateway
 * (gateway/nginx.conf). The gateway sees every answer, including those the api never makes
 * (its own 413, 429 and 502), and a browser ignores HSTS on the plain-HTTP hop the api
 * serves (RFC 6797 8.1), so one header from the edge is both complete and single.
 */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  strictTransportSecurity: false,
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  frameguard: { action: 'deny' },
  // require-corp would block Stripe's cross-origin iframes.
  crossOriginEmbedderPolicy: false,
};

/**
 * Every security header of every answer. @fastify/helmet 13 calls `helmet(options)` again on
 * each request (rebuilding the middleware and re-serialising the CSP, about 35 us a request);
 * the values never change, so they are computed once when the module loads.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...helmetHeaders(HELMET_OPTIONS),
  'permissions-policy': PERMISSIONS_POLICY,
  'reporting-endpoints': `csp-endpoint="${CSP_REPORT_PATH}"`,
});

/** Session-bearing answers must not sit in shared or browser caches (ASVS 8.2.1). */
export const SECURITY_HEADERS_NO_STORE: Readonly<Record<string, string>> = Object.freeze({
  ...SECURITY_HEADERS,
  'cache-control': 'no-store',
});

function securityHeadersFor(url: string): Readonly<Record<string, string>> {
  return url.startsWith('/api/') ? SECURITY_HEADERS_NO_STORE : SECURITY_HEADERS;
}

/**
 * One onRequest hook, registered before rate limits, sessions and routes, so every answer of
 * the request lifecycle carries the headers: 429s, 404s, validation errors and 5xx included.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', function securityHeaders(request, reply, done) {
      reply.headers(securityHeadersFor(request.url));
      done();
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);
