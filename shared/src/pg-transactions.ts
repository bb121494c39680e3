import { type SQL, sql } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres/session';
import type { PgTransactionConfig } from 'drizzle-orm/pg-core';
import type pg from 'pg';

/**
 * drizzle-orm 0.45's node-postgres `transaction()` sends BEGIN before the try/finally that
 * releases the pooled client (drizzle-orm issues 6241 and 6114, open): a BEGIN that fails,
 * as it does when PostgreSQL restarts between checkout and BEGIN, never gives the client back.
 * The pool is one client short for the life of the process, and `pool.end()` waits for it
 * forever, so a worker told to stop after a database restart hangs until it is killed. It
 * also puts a client back after a failed ROLLBACK, where the next checkout inherits a dead
 * or mid-transaction connection.
 *
 * This replaces that one method, for every drizzle database of the process, with the shape
 * the upstream fix proposes: BEGIN inside the try; the client always released once; destroyed
 * (`release(err)`) when BEGIN or ROLLBACK failed; the caller sees its own error, not the
 * rollback's. `shared/test/pg-transactions.test.ts` fails when the patch is missing; drop the
 * module once a drizzle-orm release fixes the method (that test then passes without it).
 */

interface SessionInternals {
  client: pg.Pool | pg.PoolClient | pg.Client;
  dialect: unknown;
  schema: unknown;
  options: unknown;
}

const marker = Symbol.for('hardened-shop.pg-transactions');
const proto = NodePgSession.prototype as unknown as Record<PropertyKey, unknown>;

if (!proto[marker]) {
  proto[marker] = true;
  proto.transaction = async function transaction(
    this: SessionInternals,
    run: (tx: unknown) => Promise<unknown>,
    config?: PgTransactionConfig,
  ): Promise<unknown> {
    const isPool = 'totalCount' in this.client;
    const Session = NodePgSession as unknown as new (...args: unknown[]) => SessionInternals;
    const Transaction = NodePgTransaction as unknown as new (
      ...args: unknown[]
    ) => { execute(query: SQL): Promise<unknown>; getTransactionConfigSQL(config: PgTransactionConfig): SQL };
    const session = isPool
      ? new Session(await (this.client as pg.Pool).connect(), this.dialect, this.schema, this.options)
      : this;
    const tx = new Transaction(this.dialect, session, this.schema);
    let began = false;
    let broken: Error | undefined;
    try {
      await tx.execute(sql`begin${config ? sql` ${tx.getTransactionConfigSQL(config)}` : undefined}`);
      began = true;
      const result = await run(tx);
      await tx.execute(sql`commit`);
      return result;
    } catch (error) {
      if (!began) broken = error as Error;
      else {
        try {
          await tx.execute(sql`rollback`);
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      throw error;
    } finally {
      if (isPool) (session.client as pg.PoolClient).release(broken);
    }
  };
}

/** Imported for its effect by every module that builds a drizzle database on a pg pool. */
export const pgTransactionsReleaseTheirClient = true;
