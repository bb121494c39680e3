import { loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';

/**
 * The order-worker's environment, validated once at boot. It connects with its own
 * least-privilege role (`shop_order_worker`, migration 0002), never with the api's or the
 * owner's. `AMQP_URL` unset selects the embedded mode: the worker claims outbox rows from
 * PostgreSQL directly.
 */
export const WorkerConfigSchema = Type.Object({
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://' })),
  // Prefix of the exchange and queue names, so several shops (or test files) share a broker.
  AMQP_TOPOLOGY_PREFIX: Type.String({ default: 'shop', pattern: '^[A-Za-z0-9._-]{1,100}$' }),
  // Deliveries of one message before it is dead-lettered as poison.
  AMQP_DELIVERY_LIMIT: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  // Messages in flight per worker; 200 came out best in bench/pipeline.bench.ts on 2 cores.
  WORKER_PREFETCH: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  WORKER_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  // Development mail transport: a local folder (ignored by git); `log` writes ids to the log.
  MAIL_TRANSPORT: Type.Union([Type.Literal('folder'), Type.Literal('log')], { default: 'folder' }),
  MAIL_DIR: Type.String({ default: '.data/mail-outbox' }),
  // The outbox relay runs here by default: publishing needs read access to the outbox, which
  // the api's role does not have (it may only insert).
  WORKER_RUN_RELAY: Type.Boolean({ default: true }),
  WORKER_DB_POOL_SIZE: Type.Integer({ minimum: 2, maximum: 100, default: 10 }),
});

export type WorkerConfig = Static<typeof WorkerConfigSchema>;

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return loadConfig(WorkerConfigSchema, env);
}
