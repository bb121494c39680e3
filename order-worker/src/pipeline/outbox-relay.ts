import { once } from 'node:events';
import type { Database } from '@shop/api/db/client';
import { outbox } from '@shop/api/db/schema';
import type { ConfirmChannel } from 'amqplib';
import { inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { closed, connectWithBackoff, redactAmqpUrl } from './amqp-connection.js';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import { OutboxWakeup, poolOf } from './outbox-wakeup.js';
import { declareTopology, type Topology } from './topology.js';

export interface OutboxRelayOptions {
  db: Database;
  amqpUrl: string;
  topology: Topology;
  log: Logger;
  /** Rows published per transaction: also the bound of messages held in memory. */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (a missed wake-up only delays, never loses). */
  pollMs?: number;
  /** Fault injection for tests: runs after the broker confirmed a batch, before it is marked sent. */
  afterConfirm?: (messageIds: string[]) => Promise<void>;
}

export interface OutboxRelay {
  readonly stats: { published: number; batches: number; reconnects: number };
  stop(): Promise<void>;
}

interface OutboxRow extends Record<string, unknown> {
  id: string;
  message_id: string;
  topic: string;
  payload: Record<string, unknown>;
}

class ChannelClosedError extends Error {
  override name = 'ChannelClosedError';
}

/**
 * Publishes outbox rows on a confirm channel and marks them dispatched only after the broker's
 * ack, inside the transaction that holds their row locks: a crash or a broker loss at any point
 * leaves them unmarked, and they are published again (consumers drop the duplicate by id).
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, amqpUrl, topology, log } = options;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 500;
  const stats = { published: 0, batches: 0, reconnects: 0 };
  const abort = new AbortController();
  const wakeup = new OutboxWakeup(poolOf(db), log);

  async function publishBatch(channel: ConfirmChannel, channelGone: Promise<void>): Promise<number> {
    return db.transaction(async (tx) => {
      const result = await tx.execute<OutboxRow>(sql`
        select id, message_id, topic, payload from ${outbox}
        where dispatched_at is null and dead_at is null
        order by id limit ${batchSize} for update skip locked`);
      const rows = result.rows;
      if (rows.length === 0) return 0;
      const gone = channelGone.then(() => {
        throw new ChannelClosedError('channel closed before every confirm arrived');
      });
      gone.catch(() => {});
      const confirms: Promise<void>[] = [];
      for (const row of rows) {
        const content = Buffer.from(JSON.stringify(row.payload));
        let accepted = true;
        confirms.push(
          new Promise<void>((resolve, reject) => {
            accepted = channel.publish(
              topology.exchange,
              row.topic,
              content,
              {
                persistent: true,
                messageId: row.message_id,
                type: row.topic,
                contentType: 'application/json',
                timestamp: Math.floor(Date.now() / 1000),
              },
              (err) => (err ? reject(new Error('broker refused the message')) : resolve()),
            );
          }),
        );
        // false: the socket buffer is full and the message sits in our memory; stop until
        // the channel drains so a stalled broker cannot grow the process without bound.
        if (!accepted) await Promise.race([once(channel, 'drain'), gone]);
      }
      await Promise.race([Promise.all(confirms), gone]);
      if (options.afterConfirm) await options.afterConfirm(rows.map((r) => r.message_id));
      await tx
        .update(outbox)
        .set({ dispatchedAt: sql`now()` })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => Number(r.id)),
          ),
        );
      return rows.length;
    });
  }

  async function run(): Promise<void> {
    await wakeup.start();
    for (let failures = 0; !abort.signal.aborted; ) {
      const conn = await connectWithBackoff(amqpUrl, abort.signal, log);
      if (!conn) break;
      const connGone = closed(conn);
      try {
        const channel = await conn.createConfirmChannel();
        channel.on('error', () => {});
        const channelGone = Promise.race([closed(channel), connGone]);
        let isGone = false;
        channelGone.then(() => {
          isGone = true;
        });
        await declareTopology(channel, topology);
        log.info({ broker: redactAmqpUrl(amqpUrl), exchange: topology.exchange }, 'outbox relay connected');
        failures = 0;
        while (!abort.signal.aborted) {
          const n = await publishBatch(channel, channelGone);
          if (n > 0) {
            stats.published += n;
            stats.batches++;
          }
          if (n < batchSize) await wakeup.wait(pollMs, abort.signal, channelGone);
          if (isGone) throw new ChannelClosedError('broker connection closed');
        }
      } catch (err) {
        if (!abort.signal.aborted) {
          failures++;
          stats.reconnects++;
          log.warn({ err, attempt: failures }, 'outbox relay interrupted, reconnecting');
          await sleepUnlessAborted(backoffDelay(failures), abort.signal);
        }
      } finally {
        await conn.close().catch(() => {});
      }
    }
  }

  const running = run().catch((err) => log.error({ err }, 'outbox relay stopped on an unexpected error'));

  return {
    stats,
    async stop() {
      abort.abort();
      await running;
      await wakeup.stop();
    },
  };
}
