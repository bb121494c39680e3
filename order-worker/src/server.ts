import { pathToFileURL } from 'node:url';
import { createDatabase } from '@shop/api/db/client';
import closeWithGrace from 'close-with-grace';
import pino, { type Logger } from 'pino';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { workerLoggerOptions } from './log-fields.js';
import { createMailHandler } from './mail/mail-handler.js';
import { type MailTransport, mailTransportFromConfig } from './mail/mail-transport.js';
import { type Detokenizer, tokenizerFromConfig } from './pii/tokenizer-client.js';
import { createOrderFulfilmentHandler } from './pipeline/order-fulfilment-handler.js';
import { startOutboxClaimer } from './pipeline/outbox-claimer.js';
import { startOutboxRelay } from './pipeline/outbox-relay.js';
import { startQueueConsumer } from './pipeline/queue-consumer.js';
import { topologyFor } from './pipeline/topology.js';

export interface OrderWorker {
  mode: 'amqp' | 'embedded';
  /** Where mail goes (`.eml files in ...`, `SMTP ... to host:port`), or undefined when no mail is sent. */
  mail: string | undefined;
  stats(): Record<string, number>;
  /** Stops taking work, finishes what is in flight, then closes connections. */
  stop(): Promise<void>;
}

/**
 * The order-worker: consumes order events and mail requests (from RabbitMQ, or straight from
 * the outbox when `AMQP_URL` is unset), fulfils paid orders and sends the shop's mail. Also
 * runs the outbox relay unless told not to. Mail needs the tokenizer (the only place the
 * recipient's address can be read); without TOKENIZER_URL no mail is sent and requests wait.
 */
export async function startOrderWorker(
  config: WorkerConfig,
  deps: { log?: Logger; transport?: MailTransport; tokenizer?: Detokenizer } = {},
): Promise<OrderWorker> {
  const log = deps.log ?? pino(workerLoggerOptions(config.LOG_LEVEL));
  const tokenizer = deps.tokenizer ?? (await tokenizerFromConfig(config));
  // A restart or failover of PostgreSQL is survived: lost connections are logged and replaced.
  const { db, pool } = createDatabase(config.WORKER_DATABASE_URL, {
    max: config.WORKER_DB_POOL_SIZE,
    connectionTimeoutMillis: 5_000,
    applicationName: 'shop-order-worker',
    onConnectionLost: (err) => log.warn({ err }, 'database connection lost'),
  });
  const fulfilment = createOrderFulfilmentHandler({ log });
  const transport = tokenizer ? (deps.transport ?? mailTransportFromConfig(config)) : undefined;
  const mail =
    tokenizer && transport
      ? createMailHandler({
          transport,
          tokenizer,
          baseUrl: config.STOREFRONT_ORIGIN,
          deliveryLimit: config.MAIL_DELIVERY_LIMIT,
          retryBaseMs: config.MAIL_RETRY_BASE_MS,
          retryMaxMs: config.MAIL_RETRY_MAX_MS,
          log,
        })
      : undefined;
  if (!mail) log.warn('TOKENIZER_URL is unset: no mail is sent; mail requests wait until a worker has a tokenizer');
  const closeClients = () => {
    transport?.close();
    if (!deps.tokenizer) tokenizer?.close();
  };
  const topology = topologyFor(config.AMQP_TOPOLOGY_PREFIX, config.AMQP_DELIVERY_LIMIT, config.MAIL_DELIVERY_LIMIT);

  if (!config.AMQP_URL) {
    log.warn('AMQP_URL is unset: workers claim outbox rows from PostgreSQL (embedded mode)');
    const claimer = startOutboxClaimer({
      db,
      handlers: mail ? [fulfilment, mail] : [fulfilment],
      log,
      deliveryLimit: config.AMQP_DELIVERY_LIMIT,
    });
    return {
      mode: 'embedded',
      mail: transport?.description,
      stats: () => ({ ...claimer.stats }),
      stop: once(async () => {
        await claimer.stop();
        closeClients();
        await pool.end();
      }),
    };
  }

  const relay = config.WORKER_RUN_RELAY
    ? startOutboxRelay({ db, amqpUrl: config.AMQP_URL, topology, log, batchSize: config.OUTBOX_BATCH_SIZE })
    : undefined;
  const consumer = startQueueConsumer({
    db,
    amqpUrl: config.AMQP_URL,
    topology,
    handler: fulfilment,
    log,
    prefetch: config.WORKER_PREFETCH,
  });
  // Its own queue and prefetch: each mail in flight holds a database connection while the relay answers.
  const mailConsumer = mail
    ? startQueueConsumer({
        db,
        amqpUrl: config.AMQP_URL,
        topology,
        handler: mail,
        log,
        prefetch: config.MAIL_PREFETCH,
        queue: 'mail',
      })
    : undefined;
  return {
    mode: 'amqp',
    mail: transport?.description,
    stats: () => ({
      ...consumer.stats,
      ...(relay ? { published: relay.stats.published } : {}),
      ...(mailConsumer
        ? {
            mailSent: mailConsumer.stats.processed,
            mailDead: mailConsumer.stats.dead,
            mailRetried: mailConsumer.stats.retried,
          }
        : {}),
    }),
    stop: once(async () => {
      await Promise.all([consumer.stop(), mailConsumer?.stop()]);
      await relay?.stop();
      closeClients();
      await pool.end();
    }),
  };
}

/** A stop that runs once, however often it is called (a signal and a test hook may both call it). */
function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= stop();
    return stopping;
  };
}

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = pino(workerLoggerOptions(config.LOG_LEVEL));
  const worker = await startOrderWorker(config, { log });
  log.info({ mode: worker.mode, mail: worker.mail ?? 'none' }, 'order-worker started');
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
