import type { PublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';

declare module 'fastify' {
  interface FastifyInstance {
    /** The runtime pool, connected as shop_admin_portal (least privilege). */
    adminDb: pg.Pool;
  }
}

export const database = fp(
  async (app: FastifyInstance, opts: { db: pg.Pool }) => {
    app.decorate('adminDb', opts.db);
  },
  { name: 'database', fastify: '5.x' },
);

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P03',
  '08006',
  '08001',
]);

/** A database outage is a stable 503 page, never a generic 500. */
export function mapDependencyError(err: FastifyError): PublicError | undefined {
  const name = (err as { name?: string }).name;
  if (name === 'SessionsUnavailableError') {
    return {
      status: 503,
      code: 'admin_sessions_unavailable',
      message: 'The session store is unavailable; nobody can log in until it is back',
    };
  }
  if (name === 'AuditUnavailableError') {
    return {
      status: 503,
      code: 'admin_audit_unavailable',
      message: 'The audit trail cannot be written, so the action was not carried out',
    };
  }
  const code = (err as { code?: string }).code;
  const message = typeof err.message === 'string' ? err.message : '';
  if (
    (code && CONNECTION_CODES.has(code)) ||
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout/.test(message)
  ) {
    return {
      status: 503,
      code: 'admin_database_unavailable',
      message: 'The database is unavailable; nothing was changed',
    };
  }
  return undefined;
}
