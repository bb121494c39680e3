import csrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CrossOriginRefusedError, CsrfTokenInvalidError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false exempts a route from CSRF (only the Stripe webhook and CSP reports, which carry no session). */
    csrf?: boolean;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface CsrfPluginOptions {
  /** Origins allowed besides the request's own (ALLOWED_ORIGINS). */
  allowedOrigins: string[];
}

/** The origin the browser would send for a same-origin request to this app. */
function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * CSRF for every state-changing route (ASVS 50.4 / 4.2.2; OWASP synchronizer token): the
 * token from GET /api/csrf-token is bound to the session's secret and must come back in
 * `x-csrf-token`; a cross-origin `Origin` (or Sec-Fetch-Site: cross-site) is refused first.
 */
export const csrfPlugin = fp(
  async (app: FastifyInstance, opts: CsrfPluginOptions) => {
    await app.register(csrfProtection, {
      sessionPlugin: '@fastify/secure-session',
      sessionKey: '_csrf',
      // Only the header: a token in a form body or query could be replayed by a cross-site form.
      getToken: (request: FastifyRequest) => {
        const value = request.headers['x-csrf-token'];
        return typeof value === 'string' ? value : undefined;
      },
    });
    const allowed = new Set(opts.allowedOrigins);

    const verifyToken = (request: FastifyRequest, reply: FastifyReply) =>
      new Promise<void>((resolve, reject) => {
        // csrfProtection answers through reply.send(err) on failure; capture it instead.
        const fakeReply = { send: (err: unknown) => reject(err) } as unknown as FastifyReply;
        app.csrfProtection.call(app, request, fakeReply, (err?: Error) => (err ? reject(err) : resolve()));
        void reply;
      });

    // After sessions (also preParsing, registered earlier): before any body is read.
    app.addHook('preParsing', async (request, reply) => {
      if (!STATE_CHANGING.has(request.method)) return;
      if (request.routeOptions.config?.csrf === false) return;
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== ownOrigin(request) && !allowed.has(origin)) {
        throw new CrossOriginRefusedError();
      }
      if (origin === undefined && request.headers['sec-fetch-site'] === 'cross-site') {
        throw new CrossOriginRefusedError();
      }
      try {
        await verifyToken(request, reply);
      } catch {
        throw new CsrfTokenInvalidError();
      }
    });
  },
  { name: 'csrf', fastify: '5.x', dependencies: ['sessions'] },
);
