import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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

export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      frameguard: { action: 'deny' },
      // require-corp would block Stripe's cross-origin iframes.
      crossOriginEmbedderPolicy: false,
    });
    app.addHook('onSend', async (request, reply) => {
      reply.header('Permissions-Policy', PERMISSIONS_POLICY);
      reply.header('Reporting-Endpoints', `csp-endpoint="${CSP_REPORT_PATH}"`);
      // Session-bearing answers must not sit in shared or browser caches (ASVS 8.2.1).
      if (request.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);
