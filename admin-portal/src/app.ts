import { join } from 'node:path';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { loggerOptions } from '@shop/shared/logger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type pg from 'pg';
import type { Access } from './auth/access.js';
import type { RefundGateway } from './payments/refund-gateway.js';
import { database, mapDependencyError } from './plugins/database.js';
import { errorPages } from './plugins/error-pages.js';
import { securityHeaders } from './plugins/security-headers.js';
import { staffCertificate } from './plugins/staff-certificate.js';
import { approvalRoutes } from './routes/approvals/index.js';
import { auditRoutes } from './routes/audit/index.js';
import { healthRoutes } from './routes/health/index.js';
import { homeRoutes } from './routes/home/index.js';
import { loginRoutes } from './routes/login/index.js';
import { orderRoutes } from './routes/orders/index.js';
import { paymentReviewRoutes } from './routes/payment-reviews/index.js';
import { staffRoutes } from './routes/staff/index.js';
import { webauthnRoutes } from './routes/webauthn/index.js';
import type { SessionStore } from './sessions/session-store.js';
import { staffSession } from './sessions/staff-session.js';
import type { TokenizerClient } from './tokenizer/tokenizer-client.js';
import './auth/access.js';

/** The part of the configuration the app itself reads (the server reads the rest). */
export interface AppConfig {
  LOG_LEVEL: string;
  /** PCI DSS 8.2.8: 15 minutes idle at most. */
  ADMIN_SESSION_IDLE_MINUTES: number;
  ADMIN_SESSION_ABSOLUTE_MINUTES: number;
  /** PCI DSS 8.2.6: accounts unused for this many days are disabled. */
  ADMIN_INACTIVE_DISABLE_DAYS: number;
  /** Two-person rule: refunds above this amount (minor units) need a second finance member. */
  ADMIN_REFUND_APPROVAL_THRESHOLD_MINOR: number;
  ADMIN_APPROVAL_TTL_MINUTES: number;
  /** WebAuthn relying party: a host name (no IP address) and the origins the browser uses. */
  ADMIN_WEBAUTHN_RP_ID: string;
  ADMIN_WEBAUTHN_ORIGINS: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared access, for the default-deny test and reviewers. */
    declaredRoutes: { method: string; url: string; access: Access | undefined }[];
  }
}

export interface AdminDeps {
  /** TLS server options (loadStaffTls): every route sits behind the staff mTLS handshake. */
  https: Record<string, unknown>;
  /** Runtime pool (shop_admin_portal). */
  db: pg.Pool;
  sessions: SessionStore;
  /** AES-256 key that encrypts TOTP secrets (outside the database). */
  totpKey: Buffer;
  tokenizer: TokenizerClient;
  refunds: RefundGateway;
  /** The clock of sessions, codes and lockouts (tests move it). */
  now?: () => number;
  /** A pino destination for tests that read the log stream. */
  logStream?: NodeJS.WritableStream;
}

type AdminRoutes = { method: string; url: string; access: Access | undefined }[];

const STATIC_DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'static');

export async function buildApp(config: AppConfig, deps: AdminDeps): Promise<FastifyInstance> {
  const logger = { ...loggerOptions({ service: 'admin-portal', level: config.LOG_LEVEL }) };
  const options: FastifyServerOptions & { https: unknown } = {
    logger: deps.logStream ? { ...logger, stream: deps.logStream } : logger,
    https: deps.https,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    connectionTimeout: 10_000,
    requestTimeout: 15_000,
    keepAliveTimeout: 30_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  };
  const app = Fastify(options) as unknown as FastifyInstance;

  const declaredRoutes: AdminRoutes = [];
  app.decorate('declaredRoutes', declaredRoutes);
  app.addHook('onRoute', (route) => {
    // @fastify/static declares its own routes: they need only the certificate (no personal data).
    if (route.url.startsWith('/static/')) route.config = { ...route.config, access: 'certificate' };
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') declaredRoutes.push({ method, url: route.url, access: route.config?.access });
    }
  });

  // Order a reviewer can read: errors, headers, identity, routes.
  const now = deps.now ?? Date.now;
  await app.register(errorPages, { mapError: mapDependencyError });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  await app.register(securityHeaders);
  app.addHook('onSend', async (_request, reply) => {
    // Pages carry personal data once revealed: never stored by the browser or a proxy.
    reply.header('cache-control', 'no-store');
  });
  await app.register(staffCertificate);
  await app.register(database, { db: deps.db });
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(staffSession, {
    db: deps.db,
    store: deps.sessions,
    idleMs: config.ADMIN_SESSION_IDLE_MINUTES * 60_000,
    absoluteMs: config.ADMIN_SESSION_ABSOLUTE_MINUTES * 60_000,
    now,
  });
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    index: false,
    list: false,
    decorateReply: false,
    allowedPath: (path) => /^\/[a-z0-9-]+\.(css|js)$/.test(path),
  });
  await app.register(healthRoutes);
  await app.register(loginRoutes, {
    totpKey: deps.totpKey,
    inactiveDisableMs: config.ADMIN_INACTIVE_DISABLE_DAYS * 86_400_000,
    now,
  });
  await app.register(webauthnRoutes, {
    rp: {
      rpId: config.ADMIN_WEBAUTHN_RP_ID,
      origins: config.ADMIN_WEBAUTHN_ORIGINS.split(',').map((o) => o.trim()),
    },
    inactiveDisableMs: config.ADMIN_INACTIVE_DISABLE_DAYS * 86_400_000,
    now,
  });
  await app.register(homeRoutes);
  const approvalTtlMs = config.ADMIN_APPROVAL_TTL_MINUTES * 60_000;
  await app.register(orderRoutes, {
    tokenizer: deps.tokenizer,
    refunds: deps.refunds,
    refundApprovalThresholdMinor: config.ADMIN_REFUND_APPROVAL_THRESHOLD_MINOR,
    approvalTtlMs,
  });
  await app.register(paymentReviewRoutes);
  await app.register(approvalRoutes, { refunds: deps.refunds });
  await app.register(staffRoutes, { approvalTtlMs });
  await app.register(auditRoutes);
  return app;
}
