import type { Database } from '@shop/api/db/client';
import { outbox } from '@shop/api/db/schema';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import { type MessageHandler, takes } from './message-handler.js';
import { OutboxWakeup, poolOf } from './outbox-wakeup.js';
import { type HandleOutcome, PoisonMessageError, RetryLaterError } from './pipeline-message.js';

export interface OutboxClaimerOptions {
  db: Database;
  /** Each row goes to every handler that takes its topic, each in its own savepoint. */
  handlers: MessageHandler[];
  log: Logger;
  batchSize?: number;
  pollMs?: number;
  /** Failed attempts before a row is set aside as poison (the embedded dead-letter queue). */
  deliveryLimit?: number;
}

export interface OutboxClaimer {
  readonly stats: Record<HandleOutcome | 'failed' | 'retried', number>;
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
 * each row is handled in a savepoint by the same handlers as the RabbitMQ path and marked
 * dispatched in the same transaction, so a crash leaves it unclaimed for the next worker.
 *
 * A row several handlers take (`order.paid`: fulfilment and the confirmation mail) is done when
 * each of them is: every handler has its own savepoint and its own idempotency record, so one
 * that failed is tried again without the others repeating. A handler's RetryLaterError (a mail
 * relay down) holds the row back for that handler's backoff, in this process's memory: the
 * worker's role may not add a column to the outbox, and a restart only retries sooner.
 */
export function startOutboxClaimer(options: OutboxClaimerOptions): OutboxClaimer {
  const { db, handlers, log } = options;
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 500;
  const deliveryLimit = options.deliveryLimit ?? 5;
  const stats = { processed: 0, duplicate: 0, dead: 0, failed: 0, retried: 0 };
  // Rows held back until a time (ms), after a RetryLaterError: bounded by what is pending.
  const notBefore = new Map<number, number>();
  // Only rows some handler takes: a topic nobody here handles (mail, with no tokenizer
  // configured) stays in the outbox for a worker that does, instead of being marked done.
  const likePatterns = [...new Set(handlers.flatMap((h) => h.topics))].map((p) =>
    p.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%'),
  );
  if (likePatterns.length === 0) throw new Error('the outbox claimer needs at least one handler');
  const abort = new AbortController();
  const wakeup = new OutboxWakeup(poolOf(db), log);

  async function claimBatch(): Promise<number> {
    // Counted only once the batch has committed: stats never show work a rollback undid.
    const counts = { processed: 0, duplicate: 0, dead: 0, failed: 0, retried: 0 };
    const now = Date.now();
    const held = [...notBefore].filter(([, at]) => at > now).map(([id]) => id);
    for (const [id, at] of notBefore) if (at <= now) notBefore.delete(id);
    const claimed = await db.transaction(async (tx) => {
      const { rows } = await tx.execute<ClaimedRow>(sql`
        select id, message_id, topic, payload, attempts from ${outbox}
        where dispatched_at is null and dead_at is null
          and id <> all(${`{${held.join(',')}}`}::bigint[])
          and (${sql.join(
            likePatterns.map((p) => sql`topic like ${p}`),
            sql` or `,
          )})
        order by id limit ${batchSize} for update skip locked`);
      for (const row of rows) {
        const id = Number(row.id);
        const attempt = row.attempts + 1;
        const message = { messageId: row.message_id, topic: row.topic, payload: row.payload, attempt };
        let dead: { lastError?: string } | undefined;
        let failure: { err: unknown; retryInMs?: number } | undefined;
        for (const handler of handlers.filter((h) => takes(h, row.topic))) {
          try {
            const outcome = await tx.transaction((sp) => handler.handle(sp, message));
            counts[outcome]++;
            if (outcome === 'dead') dead ??= {};
          } catch (err) {
            if (err instanceof RetryLaterError) failure ??= { err, retryInMs: handler.retryDelayMs?.(attempt) ?? 0 };
            else if (err instanceof PoisonMessageError) {
              counts.dead++;
              dead = { lastError: err.name };
            } else failure ??= { err };
            // A RetryLaterError was logged by its handler, with what it will do.
            if (!(err instanceof RetryLaterError))
              log.warn({ outboxId: id, attempts: attempt, err }, 'outbox row failed');
          }
        }
        if (!failure) {
          // Done by every handler (or given up with its reason recorded): never claimed again.
          await tx
            .update(outbox)
            .set(dead ? { deadAt: sql`now()`, attempts: attempt, ...dead } : { dispatchedAt: sql`now()` })
            .where(eq(outbox.id, id));
          continue;
        }
        // A handler's own RetryLaterError carries its own limit (a mail records itself dead on its last try).
        const giveUp = failure.retryInMs === undefined && attempt >= deliveryLimit;
        counts[failure.retryInMs !== undefined ? 'retried' : giveUp ? 'dead' : 'failed']++;
        if (failure.retryInMs) notBefore.set(id, Date.now() + failure.retryInMs);
        await tx
          .update(outbox)
          .set({
            attempts: attempt,
            lastError: (failure.err as Error).name,
            ...(giveUp ? { deadAt: sql`now()` } : {}),
          })
          .where(eq(outbox.id, id));
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
