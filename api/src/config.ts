import { ConfigError, loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';
import { PaymentsConfigSchema } from './payments/payments-config.js';

/**
 * The api's environment. Every variable that is unset selects an embedded default (see
 * README: "embedded defaults and their production form"); a bad value stops the start with
 * a message naming the variable.
 */
export const ApiConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  // Runtime connection, as the least-privilege role (DML only). Unset: embedded PostgreSQL.
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  // Owner connection used only to apply migrations at start. Unset with DATABASE_URL set:
  // migrations are left to the operator.
  DATABASE_MIGRATION_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  // Where the embedded PostgreSQL keeps its data when DATABASE_URL is unset.
  EMBEDDED_PG_DIR: Type.String({ default: '.data/postgres' }),
  EMBEDDED_PG_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 5433 }),
  // Sessions and rate-limit counters. Unset: in-process stores (single process only).
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'shop:api:', pattern: '^[A-Za-z0-9:_-]{1,64}$' }),
  // Comma-separated addresses or CIDRs of the gateway; empty: the direct peer is the client.
  TRUSTED_PROXIES: Type.String({ default: '' }),
  // Extra origins allowed to send state-changing requests (besides the request's own origin).
  ALLOWED_ORIGINS: Type.String({ default: '' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576, default: 16384 }),
  RATE_LIMIT_GLOBAL_MAX: Type.Integer({ minimum: 1, default: 300 }),
  RATE_LIMIT_LOGIN_MAX: Type.Integer({ minimum: 1, default: 5 }),
  // PCI DSS v4.0.1 8.3.4: at most 10 attempts per account and client before a 30-minute lockout.
  RATE_LIMIT_LOGIN_ACCOUNT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  // Attempts on one account from all clients before each further one is slowed (not refused).
  RATE_LIMIT_LOGIN_ACCOUNT_CEILING: Type.Integer({ minimum: 1, default: 100 }),
  RATE_LIMIT_LOGIN_SLOWDOWN_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 2000 }),
  RATE_LIMIT_SIGNUP_MAX: Type.Integer({ minimum: 1, default: 5 }),
  RATE_LIMIT_CHECKOUT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_NOT_FOUND_MAX: Type.Integer({ minimum: 1, default: 60 }),
  // Account lifecycle (README "Account lifecycle"): resending the verification mail per
  // account, password-reset requests per client and per typed email, the one-time-token
  // routes per client, and password re-entry (export, deletion) per account.
  RATE_LIMIT_VERIFICATION_EMAIL_MAX: Type.Integer({ minimum: 1, default: 3 }),
  RATE_LIMIT_PASSWORD_RESET_MAX: Type.Integer({ minimum: 1, default: 5 }),
  RATE_LIMIT_PASSWORD_RESET_ACCOUNT_MAX: Type.Integer({ minimum: 1, default: 3 }),
  RATE_LIMIT_ACCOUNT_TOKEN_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_REAUTH_MAX: Type.Integer({ minimum: 1, default: 5 }),
  // Account deletion: how often the api looks for accounts to erase, and how long it waits
  // for the final mail to be recorded (sent or dead) before erasing all the same.
  ACCOUNT_ERASURE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  ACCOUNT_ERASURE_MAX_WAIT_MS: Type.Integer({ minimum: 0, maximum: 7 * 86_400_000, default: 86_400_000 }),
  // The storefront build to serve on the api's origin (npm start builds storefront/dist and
  // sets it). Unset: api only, as behind the compose gateway, which serves the build itself.
  STOREFRONT_DIR: Type.Optional(Type.String({ minLength: 1 })),
  // The vault-tokenizer (mutual TLS). Unset: no tokenizer, and signup, login and checkout
  // answer 503 tokenizer_unavailable (never a plaintext fallback). The three PEM files (the
  // internal CA, the api's certificate and key) are required when TOKENIZER_URL is set.
  TOKENIZER_URL: Type.Optional(Type.String({ pattern: '^https://[^\\s]+$' })),
  TOKENIZER_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TOKENIZER_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TOKENIZER_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // STRIPE_* (no defaults: without keys checkout answers 503 payments_not_configured).
  ...PaymentsConfigSchema.properties,
});

export type ApiConfig = Static<typeof ApiConfigSchema>;

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const config = loadConfig(ApiConfigSchema, env);
  if (config.TOKENIZER_URL) {
    for (const name of ['TOKENIZER_CA_FILE', 'TOKENIZER_CERT_FILE', 'TOKENIZER_KEY_FILE'] as const) {
      if (!config[name]) throw new ConfigError(`invalid configuration: ${name} is required when TOKENIZER_URL is set`);
    }
  }
  return config;
}

/** Parses TRUSTED_PROXIES into the list fastify's `trustProxy` takes (never `true`). */
export function trustedProxies(config: Pick<ApiConfig, 'TRUSTED_PROXIES'>): string[] {
  return config.TRUSTED_PROXIES.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
