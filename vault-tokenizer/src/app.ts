import type tls from 'node:tls';
import { errorModel } from '@shop/shared/errors';
import { AccessLog, loggerOptions } from '@shop/shared/logger';
import { type ConnectionGuardOptions, MtlsConnectionGuard } from '@shop/shared/mtls-connections';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { KeyCacheOptions } from './crypto/key-cache.js';
import type { RuntimeDatabase } from './db/database.js';
import { RouteNotFound, tokenizerPublicError } from './errors.js';
import type { KeyProvider } from './keys/key-provider.js';
import { callerIdentity } from './plugins/caller-identity.js';
import { tokenizerCore } from './plugins/tokenizer-core.js';
import type { Policy } from './policy/policy.js';
import { healthRoutes } from './routes/health.js';
import { blindIndexRoute } from './routes/v1/blind-index.js';
import { detokenizeRoute } from './routes/v1/detokenize.js';
import { eraseRoutes } from './routes/v1/erase.js';
import { tokenizeRoute } from './routes/v1/tokenize.js';

export interface TokenizerDeps {
  database: RuntimeDatabase;
  provider: KeyProvider;
  policy: Policy;
  keyCache: KeyCacheOptions;
}

export interface BuildOptions {
  /** TLS options (mtlsServerOptions); tests and the server pass them, so every route sits behind mTLS. */
  https?: Record<string, unknown> | null;
  logLevel?: string;
  /** A pino destination for tests that read the log stream. */
  logStream?: NodeJS.WritableStream;
  /**
   * CRL reload that closes connections of revoked certificates, and a maximum connection
   * age (pentest finding 8.5). The server and the test harness always pass it.
   */
  connectionGuard?: Omit<ConnectionGuardOptions, 'log'>;
}

/** 1000 items of at most 2048 characters, with JSON overhead. */
export const BODY_LIMIT = 3 * 1024 * 1024;

export async function buildApp(deps: TokenizerDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = { ...loggerOptions({ service: 'vault-tokenizer', level: opts.logLevel ?? 'info' }) };
  const fastifyOptions: FastifyServerOptions & { https?: unknown } = {
    logger: opts.logStream ? { ...logger, stream: opts.logStream } : logger,
    bodyLimit: BODY_LIMIT,
    // One line per request, through the shared allowlist, instead of Fastify's two: at
    // thousands of calls a second the log stream is a measurable share of the CPU. Route
    // parameters (a token in DELETE /v1/tokens/:token) are logged as the route pattern.
    logController: new AccessLog({ fields: (request) => ({ caller: request.caller }) }),
    connectionTimeout: 10_000,
    requestTimeout: 15_000,
    keepAliveTimeout: 65_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    ...(opts.https ? { https: opts.https } : {}),
  };
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;
  if (opts.connectionGuard) {
    const guard = new MtlsConnectionGuard(app.server as unknown as tls.Server, {
      ...opts.connectionGuard,
      log: app.log,
    });
    app.addHook('onReady', () => guard.start());
    app.addHook('onClose', async () => guard.stop());
  }

  // Order a reviewer can read: error model, identity, core services, routes.
  await app.register(errorModel, { mapError: tokenizerPublicError });
  await app.register(callerIdentity);
  await app.register(tokenizerCore, deps);
  app.setNotFoundHandler(async () => {
    throw new RouteNotFound();
  });
  await app.register(healthRoutes);
  await app.register(tokenizeRoute);
  await app.register(detokenizeRoute);
  await app.register(blindIndexRoute);
  await app.register(eraseRoutes);
  return app;
}
