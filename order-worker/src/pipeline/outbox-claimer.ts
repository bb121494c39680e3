import type { Database } from '@shop/api/db/client';
import { outbox } from '@shop/api/db/schema';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import type { MessageHandler } from './message-handler.js';
import { OutboxWakeup, poolOf } from './outbox-wakeup.js';
import { type HandleOutcome, PoisonMessageError } from './pipeline-message.js';

export interface OutboxClaimerOptions {
  db: Database;
  handler: MessageHandler;
  log: Logger;
  batchSize?: number;
  pollMs?: number;
  /** Failed attempts before a row is set aside as poison (the embedded dead-letter queue). */
  deliveryLimit?: number;
}

export interface OutboxClaimer {
  readonly stats: Record<HandleOutcome | 'failed' | 'dead', number>;
  stop(): Promise<void>;
}

interface ClaimedRow extends Record<string, unknown> {
  id: string;
  message_id: string;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * The embedded mode (no `AMQP_URL`): workers claim outbox rows straight from PostgreSQL.
 * `FOR UPDATE SKIP LOCKED` lets several workers share the table without taking the same row;
 * each row is handled in a savepoint by the same handler as the RabbitMQ path and marked
 * dispatched in the same transaction, so a crash leaves it unclaimed for the next worker.
 */
export function startOutboxClaimer(options: OutboxClaimerOptions): OutboxClaimer {
  const { db, handler, log } = options;
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 500;
  const deliveryLimit = options.deliveryLimit ?? 5;
  const stats = { processed: 0, duplicate: 0, failed: 0, dead: 0 };
  const abort = new AbortController();
  const wakeup = new OutboxWakeup(poolOf(db), log);

  async function claimBatch(): Promise<number> {
    // Counted only once the batch has committed: stats never show work a rollback undid.
    const counts = { processed: 0, duplicate: 0, failed: 0, dead: 0 };
    const claimed = await db.transaction(async (tx) => {
      const { rows } = await tx.execute<ClaimedRow>(sql`
        select id, message_id, topic, payload, attempts from ${outbox}
        where dispatched_at is null and dead_at is null
        order by id limit ${batchSize} for update skip locked`);
      for (const row of rows) {
        const id = Number(row.id);
        try {
          const outcome = await tx.transaction((sp) =>
            handler.handle(sp, { messageId: row.message_id, topic: row.topic, payload: row.payload }),
          );
          counts[outcome]++;
          await tx.update(outbox).set({ dispatchedAt: sql`now()` }).where(eq(outbox.id, id));
        } catch (err) {
          const attempts = row.attempts + 1;
          const dead = err instanceof PoisonMessageError || attempts >= deliveryLimit;
          counts[dead ? 'dead' : 'failed']++;
          log.warn({ outboxId: id, attempts, dead, err }, 'outbox row failed');
          await tx
            .update(outbox)
            .set({ attempts, lastError: (err as Error).name, ...(dead ? { deadAt: sql`now()` } : {}) })
            .where(eq(outbox.id, id));
        }
      }
      return rows.length;
    });
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) stats[key] += counts[key];
    return claimed;
  }

  async function run(): Promise<void> {
    await wakeup.start();
    for (let failures = 0; !abort.signal.aborted; ) {
      try {
        const n = await claimBatch();
        failures = 0;
        if (n < batchSize) await wakeup.wait(pollMs, abort.signal);
      } catch (err) {
        failures++;
        log.warn({ err, attempt: failures }, 'outbox claim failed, retrying');
        await sleepUnlessAborted(backoffDelay(failures), abort.signal);
      }
    }
  }

  const running = run().catch((err) => log.error({ err }, 'outbox claimer stopped on an unexpected error'));

  return {
    stats,
    async stop() {
      abort.abort();
      await running;
      await wakeup.stop();
    },
  };
}
