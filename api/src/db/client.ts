import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

/** The shop database as drizzle sees it (the api's and the order-worker's one name for it), and one transaction on it. */
export type Database = NodePgDatabase<typeof schema>;
export type DatabaseTx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseOptions {
  max?: number;
  connectionTimeoutMillis?: number;
  applicationName?: string;
  /** Told when PostgreSQL ends a connection (a restart, a failover, a terminated backend). */
  onConnectionLost?: (err: Error & { code?: string }) => void;
}

/**
 * A pool tuned to fail fast when PostgreSQL is unreachable, so requests answer 503 within
 * seconds instead of hanging, and the pool reconnects on its own when the server returns.
 */
export function createDatabase(url: string, options: DatabaseOptions = {}): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2000,
    idleTimeoutMillis: 30_000,
    query_timeout: 10_000,
    application_name: options.applicationName ?? 'shop-api',
  });
  survivesConnectionLoss(pool, options.onConnectionLost);
  return { db: drizzle(pool, { schema }), pool };
}

/**
 * A client whose server goes away emits 'error', and an 'error' event nobody listens to
 * kills the process. pg-pool listens only while a client is idle in the pool; a client
 * checked out for a transaction (waiting on the broker's confirms, a mail, the next
 * statement) has no listener at all. So every client gets one for its whole life: the
 * failure still reaches the caller as the rejection of its current or next query ("not
 * queryable"), and the pool drops the client when it is released.
 */
export function survivesConnectionLoss(pool: pg.Pool, onLost: (err: Error & { code?: string }) => void = () => {}) {
  // An idle client: pg-pool has already removed it; the next checkout opens a new connection.
  pool.on('error', (err) => onLost(err));
  const lost = new WeakMap<pg.PoolClient, Error>();
  const checkedOut = new Set<pg.PoolClient>();
  checkedOutByPool.set(pool, { checkedOut, lost });
  pool.on('connect', (client) => {
    client.on('error', (err) => lost.set(client as pg.PoolClient, err));
  });
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err, client) => checkedOut.delete(client));
}

const checkedOutByPool = new WeakMap<
  pg.Pool,
  { checkedOut: Set<pg.PoolClient>; lost: WeakMap<pg.PoolClient, Error> }
>();

/**
 * Ends a pool made by createDatabase, once its users have stopped. pool.end() waits for every
 * checked-out client, and a client whose connection died while checked out can stay checked
 * out for good: drizzle's transaction() sends BEGIN before its try/finally, so a BEGIN that
 * fails on a dead connection (a PostgreSQL restart) never releases its client, and the process
 * would hang at shutdown. Those clients, and only those, are released (destroyed) first.
 */
export async function endDatabase(pool: pg.Pool): Promise<void> {
  const tracked = checkedOutByPool.get(pool);
  for (const client of tracked?.checkedOut ?? []) {
    const err = tracked?.lost.get(client);
    if (err) client.release(err);
  }
  await pool.end();
}

/** A standalone client (migrations, a backfill): its errors reach the awaited query, never the process. */
export function standaloneClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on('error', () => {});
  return client;
}

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
