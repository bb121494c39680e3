import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { NotFoundError } from '../errors.js';

/**
 * 404s are rate-limited too: @fastify/rate-limit does not cover the not-found handler on its
 * own (fastify-rate-limit#127), and unlimited 404s make path enumeration free.
 */
export const notFoundPlugin = fp(
  async (app: FastifyInstance) => {
    app.setNotFoundHandler({ preHandler: app.rateLimit(app.rateLimits.notFound) }, () => {
      throw new NotFoundError();
    });
  },
  { name: 'not-found', fastify: '5.x', dependencies: ['rate-limit'] },
);
