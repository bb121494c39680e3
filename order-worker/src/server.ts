import { pathToFileURL } from 'node:url';
import { createDatabase } from '@shop/api/db/client';
import { loggerOptions } from '@shop/shared/logger';
import closeWithGrace from 'close-with-grace';
import pino, { type Logger } from 'pino';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { FolderMailTransport, LogMailTransport, type MailTransport } from './mail/mail-transport.js';
import { createOrderFulfilmentHandler } from './pipeline/order-fulfilment-handler.js';
import { startOutboxClaimer } from './pipeline/outbox-claimer.js';
import { startOutboxRelay } from './pipeline/outbox-relay.js';
import { startQueueConsumer } from './pipeline/queue-consumer.js';
import { topologyFor } from './pipeline/topology.js';

export interface OrderWorker {
  mode: 'amqp' | 'embedded';
  stats(): Record<string, number>;
  /** Stops taking work, finishes what is in flight, then closes connections. */
  stop(): Promise<void>;
}

/**
 * The order-worker: consumes order events (from RabbitMQ, or straight from the outbox when
 * `AMQP_URL` is unset) and fulfils paid orders. Also runs the outbox relay unless told not to.
 */
export async function startOrderWorker(
  config: WorkerConfig,
  deps: { log?: Logger; mail?: MailTransport } = {},
): Promise<OrderWorker> {
  const log = deps.log ?? pino(loggerOptions({ service: 'order-worker', level: config.LOG_LEVEL }));
  // A restart or failover of PostgreSQL is survived: lost connections are logged and replaced.
  const { db, pool } = createDatabase(config.WORKER_DATABASE_URL, {
    max: config.WORKER_DB_POOL_SIZE,
    connectionTimeoutMillis: 5_000,
    applicationName: 'shop-order-worker',
    onConnectionLost: (err) => log.warn({ err }, 'database connection lost'),
  });
  const mail =
    deps.mail ??
    (config.MAIL_TRANSPORT === 'log' ? new LogMailTransport(log) : new FolderMailTransport(config.MAIL_DIR));
  const handler = createOrderFulfilmentHandler({ mail, log });
  const topology = topologyFor(config.AMQP_TOPOLOGY_PREFIX, config.AMQP_DELIVERY_LIMIT);

  if (!config.AMQP_URL) {
    log.warn('AMQP_URL is unset: workers claim outbox rows from PostgreSQL (embedded mode)');
    const claimer = startOutboxClaimer({ db, handler, log, deliveryLimit: config.AMQP_DELIVERY_LIMIT });
    return {
      mode: 'embedded',
      stats: () => ({ ...claimer.stats }),
      async stop() {
        await claimer.stop();
        await pool.end();
      },
    };
  }

  const relay = config.WORKER_RUN_RELAY
    ? startOutboxRelay({ db, amqpUrl: config.AMQP_URL, topology, log, batchSize: config.OUTBOX_BATCH_SIZE })
    : undefined;
  const consumer = startQueueConsumer({
    db,
    amqpUrl: config.AMQP_URL,
    topology,
    handler,
    log,
    prefetch: config.WORKER_PREFETCH,
  });
  return {
    mode: 'amqp',
    stats: () => ({ ...consumer.stats, ...(relay ? { published: relay.stats.published } : {}) }),
    async stop() {
      await consumer.stop();
      await relay?.stop();
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = pino(loggerOptions({ service: 'order-worker', level: config.LOG_LEVEL }));
  const worker = await startOrderWorker(config, { log });
  log.info({ mode: worker.mode }, 'order-worker started');
  // In-flight messages are finished and acked before exit; past the delay they are redelivered.
  closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'order-worker failing');
    log.info({ signal }, 'order-worker stopping');
    await worker.stop();
    log.info({ stats: worker.stats() }, 'order-worker stopped');
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
