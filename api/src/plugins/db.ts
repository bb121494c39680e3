import { type PublicError, toPublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDatabase, type Database, endDatabase, isDatabaseConnectionError } from '../db/client.js';
import { DatabaseUnavailableError, RateLimitUnavailableError } from '../errors.js';
import { isRedisUnavailableError } from './redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Drizzle over a pool connected as the least-privilege runtime role (no DDL). */
    db: Database;
    /** For readiness checks only. */
    pingDatabase(): Promise<void>;
  }
}

export interface DbPluginOptions {
  url: string;
}

export const dbPlugin = fp(
  async (app: FastifyInstance, opts: DbPluginOptions) => {
    // A connection losing its server is logged, never fatal: the pool reconnects on demand.
    const { db, pool } = createDatabase(opts.url, {
      onConnectionLost: (err) => app.log.warn({ err }, 'database connection lost'),
    });
    app.decorate('db', db);
    app.decorate('pingDatabase', async () => {
      await pool.query('select 1');
    });
    app.addHook('onClose', async () => {
      // A client whose connection died mid-checkout would hold pool.end() for ever (see endDatabase).
      await endDatabase(pool);
    });
  },
  { name: 'db', fastify: '5.x' },
);

/**
 * Maps a dependency outage to its stable 503 instead of a generic 500. A raw Redis error
 * reaching the error handler comes from a fail-closed rate-limit bucket (@fastify/rate-limit
 * passes its store's error on; the session store answers its own `session_store_unavailable`).
 */
export function mapDependencyError(err: FastifyError): PublicError | undefined {
  if (typeof err.statusCode === 'number' && err.statusCode < 500) return undefined;
  if (isRedisUnavailableError(err)) return toPublicError(new RateLimitUnavailableError());
  if (isDatabaseConnectionError(err)) return toPublicError(new DatabaseUnavailableError());
  return undefined;
}
