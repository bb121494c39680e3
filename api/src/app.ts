import { randomUUID } from 'node:crypto';
import { errorModel } from '@shop/shared/errors';
import { AccessLog, loggerOptions } from '@shop/shared/logger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { accountErasurePlugin } from './accounts/account-erasure.js';
import { type ApiConfig, trustedProxies } from './config.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { paymentsWiring } from './payments/payments-wiring.js';
import type { PiiClient } from './pii/pii-client.js';
import { tokenizerFromConfig } from './pii/tokenizer-from-config.js';
import { authPlugin } from './plugins/auth.js';
import { csrfPlugin } from './plugins/csrf.js';
import { dbPlugin, mapDependencyError } from './plugins/db.js';
import { notFoundPlugin } from './plugins/not-found.js';
import { openApiPlugin } from './plugins/openapi.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { redisPlugin } from './plugins/redis.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { sessionPlugin } from './plugins/sessions.js';
import { storefrontPlugin } from './plugins/storefront.js';
import authRoutes from './routes/auth/index.js';
import cartRoutes from './routes/cart/index.js';
import checkoutRoutes from './routes/checkout/index.js';
import cspReportRoutes from './routes/csp-reports/index.js';
import docsRoutes from './routes/docs/index.js';
import healthRoutes from './routes/health/index.js';
import meRoutes from './routes/me/index.js';
import orderRoutes from './routes/orders/index.js';
import productRoutes from './routes/products/index.js';
import webhookRoutes from './routes/webhooks/index.js';
import type { SessionStore } from './sessions/session-store.js';

/** What tests (and later services) can inject instead of what config would build. */
export interface ApiDeps {
  /** The tokenizer client; when absent, built from TOKENIZER_* (none: routes needing it answer 503). */
  pii: PiiClient;
  /** A Redis client made by the caller (closed by the caller). */
  redis: Redis;
  sessionStore: SessionStore;
  /** Clock in epoch ms: session timeouts are tested without waiting. */
  now: () => number;
  /** Where log lines go (default stdout): tests capture them to prove what is never logged. */
  logStream: DestinationStream;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: ApiConfig;
    pii?: PiiClient;
  }
}

/**
 * Builds the api without listening (server.ts listens). Security plugins are registered in
 * the order a reviewer reads them: error model, headers, rate limit, sessions, CSRF, auth,
 * then routes. `config.DATABASE_URL` must be set (server.ts resolves the embedded default).
 */
export async function buildApp(config: ApiConfig, deps: Partial<ApiDeps> = {}): Promise<FastifyInstance> {
  if (!config.DATABASE_URL) throw new Error('buildApp needs DATABASE_URL (server.ts starts the embedded default)');
  const proxies = trustedProxies(config);
  const logger = {
    ...loggerOptions({ service: 'api', level: config.LOG_LEVEL }),
    ...(deps.logStream && { stream: deps.logStream }),
  };

  const app = Fastify({
    logger,
    // One access line per request, with the code of a refused one (shared/src/access-log.ts).
    logController: new AccessLog(),
    // Only the gateway's addresses: X-Forwarded-* from anyone else is ignored (fastify#5865).
    trustProxy: proxies.length > 0 ? proxies : false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Our own ids: a client-chosen request id could forge log correlation.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    return503OnClosing: true,
    // Answers made before any hook runs still carry the security headers and the stable
    // error body, never an echo of the request ([pentest 8.10]).
    frameworkErrors,
    clientErrorHandler,
    routerOptions: { maxParamLength: 200 },
    ajv: {
      // Unknown fields are refused with 400, not silently dropped (ARCHITECTURE non-negotiable 3).
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  });

  app.decorate('config', config);
  const tokenizer = deps.pii ? undefined : await tokenizerFromConfig(config);
  app.decorate('pii', deps.pii ?? tokenizer);
  if (tokenizer) app.addHook('onClose', async () => tokenizer.close());

  await app.register(errorModel, { mapError: mapDependencyError });
  // First hook of every request, so every answer after it carries the headers.
  await app.register(securityHeadersPlugin);
  // Routes take JSON (or declare their own parsers, as webhooks and CSP reports do): any other
  // content type is 415 unsupported_media_type, as documented, not a string body that fails
  // validation later ([pentest 8.10]).
  app.removeContentTypeParser('text/plain');
  await app.register(redisPlugin, { url: config.REDIS_URL, client: deps.redis });
  await app.register(dbPlugin, { url: config.DATABASE_URL });

  // Security plugins, in order (the headers are registered first, above).
  await app.register(rateLimitPlugin, { config, redis: app.redis });
  await app.register(sessionPlugin, { store: deps.sessionStore, redisPrefix: config.REDIS_KEY_PREFIX, now: deps.now });
  await app.register(csrfPlugin, {
    allowedOrigins: config.ALLOWED_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  });
  await app.register(authPlugin);
  await app.register(openApiPlugin);

  // Routes: one line each.
  await app.register(healthRoutes);
  await app.register(docsRoutes);
  await app.register(authRoutes);
  await app.register(meRoutes);
  await app.register(productRoutes);
  await app.register(cartRoutes);
  await app.register(orderRoutes);
  const payments = paymentsWiring(config);
  await app.register(checkoutRoutes, payments.checkout);
  await app.register(webhookRoutes, payments.webhooks);
  await app.register(cspReportRoutes);
  // Deleted accounts are erased once their final mail is recorded (src/accounts/account-erasure.ts).
  await app.register(accountErasurePlugin, {
    intervalMs: config.ACCOUNT_ERASURE_INTERVAL_MS,
    maxWaitMs: config.ACCOUNT_ERASURE_MAX_WAIT_MS,
  });
  if (config.STOREFRONT_DIR) await app.register(storefrontPlugin, { distDir: config.STOREFRONT_DIR });

  await app.register(notFoundPlugin);
  return app;
}
