import Type, { type Static } from 'typebox';

/**
 * Broker variables shared by the api (relay) and the order-worker. `AMQP_URL` unset selects
 * the embedded mode: workers claim outbox rows from PostgreSQL directly.
 */
export const PipelineConfigSchema = Type.Object({
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://' })),
  // Prefix of the exchange and queue names, so several shops (or test files) share a broker.
  AMQP_TOPOLOGY_PREFIX: Type.String({ default: 'shop', pattern: '^[A-Za-z0-9._-]{1,100}$' }),
  // Deliveries of one message before it is dead-lettered as poison.
  AMQP_DELIVERY_LIMIT: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  // Messages in flight per worker; 200 came out best in bench/pipeline.bench.ts on 2 cores.
  WORKER_PREFETCH: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
});

export type PipelineConfig = Static<typeof PipelineConfigSchema>;
