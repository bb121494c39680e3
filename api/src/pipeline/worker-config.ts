import { loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';
import { PipelineConfigSchema } from './pipeline-config.js';

/**
 * The order-worker's environment. It connects with its own least-privilege role
 * (`shop_order_worker`, migration 0002), never with the api's or the owner's.
 */
export const WorkerConfigSchema = Type.Object({
  ...PipelineConfigSchema.properties,
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
