import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { EmailNotVerifiedError, UnauthenticatedError } from '../errors.js';
import { emailVerified } from '../routes/auth/accounts.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for routes that need a signed-in user: 401 `unauthenticated` otherwise. */
    requireUser: preHandlerAsyncHookHandler;
    /**
     * preHandler for routes that mail or ship to the shopper (checkout): a signed-in user whose
     * email was verified through the mailed link, 403 `email_not_verified` otherwise.
     */
    requireVerifiedEmail: preHandlerAsyncHookHandler;
  }
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('requireUser', async function requireUser(request: FastifyRequest) {
      if (!request.userId) throw new UnauthenticatedError();
    });
    app.decorate('requireVerifiedEmail', async function requireVerifiedEmail(request: FastifyRequest) {
      if (!request.userId) throw new UnauthenticatedError();
      const verified = await emailVerified(app.db, request.userId);
      if (verified === null) throw new UnauthenticatedError();
      if (!verified) throw new EmailNotVerifiedError();
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['sessions', 'db'] },
);
