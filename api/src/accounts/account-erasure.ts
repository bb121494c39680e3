import { eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/client.js';
import { accountDeletions, accountTokens, orders, users } from '../db/schema/index.js';
import type { PiiClient } from '../pii/pii-client.js';

export interface ErasureOptions {
  /** Erase even without a recorded final mail once the request is this old (ms). */
  maxWaitMs: number;
  /** At most this many accounts per run (the tokenizer bounds erases per hour anyway). */
  batch?: number;
}

/**
 * Erases the accounts whose deletion is due: the final `account_deleted` mail is recorded in
 * `mail_deliveries` (sent or dead), or the request is older than `maxWaitMs`. One account per
 * transaction, its `account_deletions` row locked (`SKIP LOCKED`: replicas share the work):
 *
 * 1. the tokenizer erases the subject (its data key is destroyed: every copy of the email,
 *    name and addresses, backups included, becomes unreadable);
 * 2. the user row loses its blind index, tokens and password hash (nothing can sign in or look
 *    it up again); its one-time tokens go;
 * 3. its orders keep what retention requires (amounts, currency, dates, status, Stripe ids,
 *    card brand and last 4) and lose the shipping-address token;
 * 4. the deletion is marked erased.
 *
 * A tokenizer refusal (down, or its hourly erase bound reached) rolls the account back to
 * pending: the next run tries again. Returns how many accounts were erased.
 */
export async function eraseDueAccounts(
  db: Database,
  pii: PiiClient | undefined,
  log: FastifyBaseLogger,
  options: ErasureOptions,
): Promise<number> {
  if (!pii) return 0;
  const batch = options.batch ?? 10;
  let erased = 0;
  while (erased < batch) {
    const userId = await db.transaction(async (tx) => {
      const due = await tx.execute<{ user_id: string }>(sql`
        select d.user_id from account_deletions d
        left join mail_deliveries m on m.request_id = d.mail_request_id
        where d.erased_at is null
          and (m.request_id is not null or d.requested_at <= now() - ${`${options.maxWaitMs} milliseconds`}::interval)
        order by d.requested_at
        limit 1
        for update of d skip locked`);
      const id = due.rows[0]?.user_id;
      if (!id) return null;
      await pii.eraseSubject(id);
      await tx
        .update(users)
        .set({ emailBlindIndex: null, emailToken: null, nameToken: null, passwordHash: null })
        .where(eq(users.id, id));
      await tx.delete(accountTokens).where(eq(accountTokens.userId, id));
      await tx.update(orders).set({ shippingAddressToken: null }).where(eq(orders.userId, id));
      await tx.update(accountDeletions).set({ erasedAt: sql`now()` }).where(eq(accountDeletions.userId, id));
      return id;
    });
    if (!userId) break;
    erased += 1;
    log.info({ event: 'account_erased', userId }, 'account erased');
  }
  return erased;
}

export interface AccountErasureOptions extends ErasureOptions {
  intervalMs: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs the erasure step once now (the timer runs it every ACCOUNT_ERASURE_INTERVAL_MS). */
    eraseDueAccounts(): Promise<number>;
  }
}

/**
 * The api's periodic erasure step: started when the app is ready, stopped (and waited for)
 * when it closes. Runs never overlap; a failed run is logged and the next one tries again.
 */
export const accountErasurePlugin = fp(
  async (app: FastifyInstance, opts: AccountErasureOptions) => {
    let running: Promise<number> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const runOnce = (): Promise<number> => {
      running ??= eraseDueAccounts(app.db, app.pii, app.log, opts)
        .catch((err: unknown) => {
          app.log.warn({ err, event: 'account_erasure_failed' }, 'account erasure run failed; retried next run');
          return 0;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    };
    app.decorate('eraseDueAccounts', runOnce);
    app.addHook('onReady', async () => {
      timer = setInterval(() => void runOnce(), opts.intervalMs);
      timer.unref();
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      await running;
    });
  },
  { name: 'account-erasure', fastify: '5.x', dependencies: ['db'] },
);
