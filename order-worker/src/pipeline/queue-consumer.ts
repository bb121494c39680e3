import type { Database } from '@shop/api/db/client';
import { isDatabaseConnectionError } from '@shop/api/db/client';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { closed, connectWithBackoff, redactAmqpUrl } from './amqp-connection.js';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import type { MessageHandler } from './message-handler.js';
import {
  type HandleOutcome,
  type PipelineMessage,
  PoisonMessageError,
  parseDelivery,
  RetryLaterError,
} from './pipeline-message.js';
import { type ConsumedQueue, declareTopology, queueOf, type Topology } from './topology.js';

export interface QueueConsumerOptions {
  db: Database;
  amqpUrl: string;
  topology: Topology;
  handler: MessageHandler;
  log: Logger;
  prefetch?: number;
  /** Which queue of the topology to consume (default: fulfilment). */
  queue?: ConsumedQueue;
}

export interface QueueConsumer {
  readonly stats: Record<HandleOutcome | 'failed' | 'poison' | 'retried' | 'reconnects' | 'databaseRetries', number>;
  /** Stops taking deliveries, finishes (and acks) the ones in flight, then closes. */
  stop(): Promise<void>;
}

/**
 * Consumes the fulfilment queue with manual acks. A message is acked only after the handler's
 * transaction committed: a crash before that leaves it unacked and the broker redelivers it;
 * the handler's processed-messages check turns the redelivery into a no-op.
 */
export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const { db, amqpUrl, topology, handler, log } = options;
  const prefetch = options.prefetch ?? 200;
  const queue = queueOf(topology, options.queue ?? 'fulfilment');
  const stats = {
    processed: 0,
    duplicate: 0,
    dead: 0,
    failed: 0,
    poison: 0,
    retried: 0,
    reconnects: 0,
    databaseRetries: 0,
  };
  // Tries seen by this process, per message: the floor of the count when the broker's header is absent.
  const triesHere = new Map<string, number>();
  const abort = new AbortController();
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let stopConsuming: (() => Promise<void>) | undefined;
  let closeChannel: (() => Promise<void>) | undefined;

  async function onDelivery(channel: Channel, msg: ConsumeMessage): Promise<void> {
    inFlight++;
    try {
      const message = parseDelivery(msg.properties.messageId, msg.fields.routingKey, msg.content);
      message.attempt = attemptOf(msg, message.messageId);
      const outcome = await handleUntilDatabaseAnswers(message);
      stats[outcome]++;
      triesHere.delete(message.messageId);
      // Given up by the handler, its reason recorded: to the dead-letter queue for operators.
      settle(() => (outcome === 'dead' ? channel.nack(msg, false, false) : channel.ack(msg)));
    } catch (err) {
      if (err instanceof RetryLaterError) {
        stats.retried++;
        // Held, unacked, for the handler's backoff, then handed back: the broker counts the try.
        const attempt = attemptOf(msg, String(msg.properties.messageId), false);
        await sleepUnlessAborted(handler.retryDelayMs?.(attempt) ?? 0, abort.signal);
        settle(() => channel.nack(msg, false, true));
      } else if (err instanceof PoisonMessageError) {
        stats.poison++;
        log.warn({ err, topic: msg.fields.routingKey }, 'poison message dead-lettered');
        settle(() => channel.nack(msg, false, false));
      } else {
        stats.failed++;
        log.warn({ err, topic: msg.fields.routingKey }, 'message failed, requeued');
        // Requeued: the quorum queue counts the delivery and dead-letters it past the limit.
        settle(() => channel.nack(msg, false, true));
      }
    } finally {
      inFlight--;
      if (inFlight === 0) idle?.();
    }
  }

  /** Which try this delivery is: the quorum queue's count of earlier tries, or this process's own. */
  function attemptOf(msg: ConsumeMessage, messageId: string, count = true): number {
    const header = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
    const here = (triesHere.get(messageId) ?? 0) + (count ? 1 : 0);
    if (count) {
      if (triesHere.size > 10_000) triesHere.clear();
      triesHere.set(messageId, here);
    }
    return Math.max(Number.isSafeInteger(header) ? header + 1 : 1, here);
  }

  /**
   * A database outage is no fault of the message: requeued, it would come straight back and
   * spend its delivery limit within the outage, then be dead-lettered, a paid order never
   * fulfilled. So it is retried in place, unacked, with backoff, until PostgreSQL answers
   * (prefetch bounds how many wait); a stop hands it back to the broker.
   */
  async function handleUntilDatabaseAnswers(message: PipelineMessage): Promise<HandleOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction((tx) => handler.handle(tx, message));
      } catch (err) {
        if (!isDatabaseConnectionError(err) || abort.signal.aborted) throw err;
        stats.databaseRetries++;
        if (attempt === 1) log.warn({ err }, 'database unavailable, message held for retry');
        await sleepUnlessAborted(backoffDelay(attempt), abort.signal);
      }
    }
  }

  async function run(): Promise<void> {
    for (let failures = 0; !abort.signal.aborted; ) {
      const conn = await connectWithBackoff(amqpUrl, abort.signal, log);
      if (!conn) break;
      const connGone = closed(conn);
      try {
        const channel = await conn.createChannel();
        channel.on('error', () => {});
        const channelGone = Promise.race([closed(channel), connGone]);
        await declareTopology(channel, topology);
        await channel.prefetch(prefetch);
        const { consumerTag } = await channel.consume(
          queue,
          (msg) => {
            if (msg) void onDelivery(channel, msg);
          },
          { noAck: false },
        );
        stopConsuming = async () => {
          await channel.cancel(consumerTag).catch(() => {});
        };
        // The channel is closed before the connection: its close is ordered after the acks on
        // the same channel, whereas a connection close may overtake acks still queued in
        // amqplib's frame multiplexer (the broker would then redeliver acked work).
        closeChannel = async () => {
          await channel.close().catch(() => {});
        };
        log.info({ broker: redactAmqpUrl(amqpUrl), queue, prefetch }, 'consumer started');
        failures = 0;
        await Promise.race([channelGone, new Promise((r) => abort.signal.addEventListener('abort', r))]);
        if (!abort.signal.aborted) throw new Error('broker connection closed');
      } catch (err) {
        if (!abort.signal.aborted) {
          failures++;
          stats.reconnects++;
          log.warn({ err, attempt: failures }, 'consumer interrupted, reconnecting');
          await sleepUnlessAborted(backoffDelay(failures), abort.signal);
        }
      } finally {
        if (abort.signal.aborted) await drainInFlight();
        await closeChannel?.();
        closeChannel = undefined;
        await conn.close().catch(() => {});
      }
    }
  }

  async function drainInFlight(): Promise<void> {
    await stopConsuming?.();
    if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
  }

  const running = run().catch((err) => log.error({ err }, 'consumer stopped on an unexpected error'));

  return {
    stats,
    async stop() {
      abort.abort();
      await running;
    },
  };
}

/** An ack on a channel that has closed throws; the broker redelivers the message anyway. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // channel gone: redelivery plus idempotent handling cover it
  }
}
