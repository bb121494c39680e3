import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../config.js';
import { TooManyAttemptsError } from '../errors.js';
import { type RateLimits, rateLimitsFor } from '../rate-limits.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The bucket table (src/rate-limits.ts): `config: { rateLimit: app.rateLimits.<name> }`. */
    rateLimits: RateLimits;
  }
}

export interface RateLimitPluginOpts {
  config: ApiConfig;
  redis: Redis | null;
}

/**
 * Registered (and awaited) before any route so every route gets the global hook
 * (fastify-rate-limit#362). Counters live in the library's own Redis store, on the client of
 * plugins/redis.ts, whose disabled offline queue makes an outage fail at once (PITFALLS,
 * fastify-rate-limit#84): fail-open buckets then let the request through, fail-closed ones
 * throw the Redis error, which the error model answers as 503 `rate_limit_unavailable`
 * (plugins/db.ts `mapDependencyError`). Without Redis, counters are in-process.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: RateLimitPluginOpts) => {
    const limits = rateLimitsFor(opts.config);
    const options: RateLimitPluginOptions = {
      ...limits.global,
      global: true,
      // Standard draft headers are enough; the error model builds the 429 body.
      errorResponseBuilder: (_req, context) => {
        const err = new TooManyAttemptsError();
        err.statusCode = context.statusCode;
        return err;
      },
    };
    if (opts.redis) {
      options.redis = opts.redis;
      options.nameSpace = `${opts.config.REDIS_KEY_PREFIX}rl:`;
    }
    await app.register(rateLimit, options);
    app.decorate('rateLimits', limits);
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['redis'] },
);
