import type { PublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDatabase, type Database, isDatabaseConnectionError } from '../db/client.js';

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
      onConnectionLost: (err) =>
        app.log.warn({ err: { type: err.name, code: err.code, message: err.message } }, 'database connection lost'),
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

/** Maps a database outage to a stable 503 instead of a generic 500. */
export function mapDependencyError(err: FastifyError): PublicError | undefined {
  if (typeof err.statusCode === 'number' && err.statusCode < 500) return undefined;
  if (isDatabaseConnectionError(err)) {
    return { status: 503, code: 'database_unavailable', message: 'Temporarily unavailable, retry later' };
  }
  return undefined;
}
