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
  // Mail to shoppers. With SMTP_URL set the worker sends through that server (smtps:// is TLS
  // from the start; smtp:// must upgrade with STARTTLS unless the host is loopback). Unset,
  // every mail is written as an .eml file under MAIL_DIR (development; nothing leaves the host).
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://', maxLength: 500 })),
  // An HTTP CONNECT proxy to the relay (compose: the egress proxy, the worker's only way out);
  // TLS stays end to end with the relay through the tunnel. Unset: a direct connection.
  SMTP_PROXY_URL: Type.Optional(Type.String({ pattern: '^http://[^\\s/?#@]+(:[0-9]{1,5})?/?$', maxLength: 300 })),
  // A private CA for the relay's certificate (PEM path); the system CAs otherwise.
  MAIL_RELAY_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // Deadline of each SMTP step (connect, greeting, every command), so a stalled relay fails the try.
  MAIL_SEND_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 30_000 }),
  MAIL_DIR: Type.String({ default: '.data/mail-outbox' }),
  MAIL_FROM: Type.String({ default: 'shop@localhost', pattern: '^[^\\s<>@"]{1,64}@[A-Za-z0-9.-]{1,190}$' }),
  // Where the links in mails point (the storefront's origin): /verify-email, /reset-password, /orders.
  STOREFRONT_ORIGIN: Type.String({ default: 'http://127.0.0.1:3000', pattern: '^https?://[^\\s/?#]+$' }),
  // Tries of one mail before it is recorded `dead` in mail_deliveries and dead-lettered; between
  // tries the worker waits with exponential backoff from MAIL_RETRY_BASE_MS to MAIL_RETRY_MAX_MS
  // (the defaults span about ten minutes of relay outage).
  MAIL_DELIVERY_LIMIT: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
  MAIL_RETRY_BASE_MS: Type.Integer({ minimum: 1, maximum: 600_000, default: 5_000 }),
  MAIL_RETRY_MAX_MS: Type.Integer({ minimum: 1, maximum: 900_000, default: 300_000 }),
  // Mails in flight at once: each holds a database connection while the relay answers.
  MAIL_PREFETCH: Type.Integer({ minimum: 1, maximum: 50, default: 4 }),
  // The vault-tokenizer, over mutual TLS with the order-worker's own certificate: it reads the
  // recipient's address (and name, shipping address) at send time and keeps none of it.
  // Unset, no mail is sent: mail requests wait in their queue (or the outbox), never lost.
  TOKENIZER_URL: Type.Optional(Type.String({ pattern: '^https://' })),
  TOKENIZER_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TOKENIZER_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TOKENIZER_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // The outbox relay runs here by default: publishing needs read access to the outbox, which
  // the api's role does not have (it may only insert).
  WORKER_RUN_RELAY: Type.Boolean({ default: true }),
  WORKER_DB_POOL_SIZE: Type.Integer({ minimum: 2, maximum: 100, default: 10 }),
});

export type WorkerConfig = Static<typeof WorkerConfigSchema>;

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return loadConfig(WorkerConfigSchema, env);
}
