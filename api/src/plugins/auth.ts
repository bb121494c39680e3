import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthenticatedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for routes that need a signed-in user: 401 `unauthenticated` otherwise. */
    requireUser: preHandlerAsyncHookHandler;
  }
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('requireUser', async function requireUser(request: FastifyRequest) {
      if (!request.userId) throw new UnauthenticatedError();
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['sessions'] },
);
