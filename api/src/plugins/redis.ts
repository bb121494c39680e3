import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis, ReplyError } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sessions and rate-limit counters; null when REDIS_URL is unset (in-process stores). */
    redis: Redis | null;
  }
}

/**
 * Options chosen so a Redis outage surfaces at once as an error instead of requests piling
 * up in ioredis' offline queue (PITFALLS: fastify-rate-limit#84): callers then fail closed
 * (login, sessions) or open (the global limit) on purpose.
 */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    // Keep trying in the background so the api recovers by itself when Redis returns.
    retryStrategy: () => 500,
    lazyConnect: true,
  });
}

// What ioredis rejects a command with when the server cannot be used: no connection (the
// offline queue is off), the retry budget spent, a command timeout, or an error reply (a
// server out of memory, loading, read-only).
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'AbortError', 'ClusterAllFailedError']);
const UNAVAILABLE_MESSAGES = new Set([
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Connection is closed.',
  'Command timed out',
]);

/** True when the error is ioredis saying Redis could not serve a command. */
export function isRedisUnavailableError(err: unknown): boolean {
  if (err instanceof ReplyError) return true;
  if (!(err instanceof Error)) return false;
  return UNAVAILABLE_NAMES.has(err.name) || UNAVAILABLE_MESSAGES.has(err.message);
}

export interface RedisPluginOptions {
  url: string | undefined;
  /** A client made by the caller (tests); closed by the caller. */
  client?: Redis;
}

export const redisPlugin = fp(
  async (app: FastifyInstance, opts: RedisPluginOptions) => {
    const client = opts.client ?? (opts.url ? createRedisClient(opts.url) : null);
    app.decorate('redis', client);
    if (!client) return;
    let lastWarning = 0;
    client.on('error', (err: Error & { code?: string }) => {
      // One line per 10 s at most: an outage must not flood the log stream.
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      app.log.warn({ err }, 'redis unavailable');
    });
    if (client.status === 'wait') {
      // Start without Redis if it is down: requests that need it answer 503 until it is back.
      await client.connect().catch(() => undefined);
    }
    if (!opts.client) app.addHook('onClose', async () => void client.disconnect());
  },
  { name: 'redis', fastify: '5.x' },
);
