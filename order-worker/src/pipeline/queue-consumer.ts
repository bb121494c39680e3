import type { Database } from '@shop/api/db/client';
import { isDatabaseConnectionError } from '@shop/api/db/client';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { closed, connectWithBackoff, redactAmqpUrl } from './amqp-connection.js';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import type { MessageHandler } from './message-handler.js';
import { type HandleOutcome, type PipelineMessage, PoisonMessageError, parseDelivery } from './pipeline-message.js';
import { declareTopology, type Topology } from './topology.js';

export interface QueueConsumerOptions {
  db: Database;
  amqpUrl: string;
  topology: Topology;
  handler: MessageHandler;
  log: Logger;
  prefetch?: number;
}

export interface QueueConsumer {
  readonly stats: Record<HandleOutcome | 'failed' | 'poison' | 'reconnects' | 'databaseRetries', number>;
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
  const stats = { processed: 0, duplicate: 0, failed: 0, poison: 0, reconnects: 0, databaseRetries: 0 };
  const abort = new AbortController();
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let stopConsuming: (() => Promise<void>) | undefined;
  let closeChannel: (() => Promise<void>) | undefined;

  async function onDelivery(channel: Channel, msg: ConsumeMessage): Promise<void> {
    inFlight++;
    try {
      const message = parseDelivery(msg.properties.messageId, msg.fields.routingKey, msg.content);
      const outcome = await handleUntilDatabaseAnswers(message);
      stats[outcome]++;
      settle(() => channel.ack(msg));
    } catch (err) {
      if (err instanceof PoisonMessageError) {
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
          topology.fulfilmentQueue,
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
        log.info({ broker: redactAmqpUrl(amqpUrl), queue: topology.fulfilmentQueue, prefetch }, 'consumer started');
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
