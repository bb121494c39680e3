import { type PublicError, toPublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDatabase, type Database } from '../db/client.js';
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
    const { db, pool } = createDatabase(opts.url);
    // An idle client losing its server emits 'error' on the pool: log it, never crash.
    pool.on('error', (err: Error & { code?: string }) => {
      app.log.warn({ err }, 'database connection lost');
    });
    app.decorate('db', db);
    app.decorate('pingDatabase', async () => {
      await pool.query('select 1');
    });
    app.addHook('onClose', async () => {
      await pool.end();
    });
  },
  { name: 'db', fastify: '5.x' },
);

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'Query read timeout',
];

/** True when the error (or what it wraps) says PostgreSQL could not be reached. */
export function isDatabaseConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      // SQLSTATE class 08 (connection exception) and 57P0x (server shutting down).
      if (CONNECTION_ERRNOS.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

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
