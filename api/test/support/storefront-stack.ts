import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import tls from 'node:tls';
import { createTestDatabase, freePort, LogCapture, TEST_REDIS_URL, uniqueName } from '@shop/shared/test-harness';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadApiConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { runtimeUrl } from '../../src/db/roles.js';
import { seedCatalogue } from '../../src/db/seed/seed-catalogue.js';
import { requireRedis } from '../helper.js';
import { FakePii } from './payments-app.js';
import { deleteRedisPrefix } from './redis-prefix.js';
import { StripeDouble } from './stripe-double.js';

export interface StorefrontStackOptions {
  /** A storefront build (storefront/dist or a test's own build); absent: api only. */
  distDir?: string;
  /** true: Stripe keys pointing at a Stripe API double; false: payments not configured. */
  payments: boolean;
  /** Environment overrides for the api. */
  env?: Record<string, string>;
  /** false: no test tokenizer client; the api builds its own from TOKENIZER_* in `env` (a real tokenizer). */
  fakePii?: boolean;
}

export interface StorefrontApp {
  app: FastifyInstance;
  /** Owner connection, for inspecting rows. */
  db: Database;
  /** The owner URL of the stack's database (another service of the test connects to it). */
  ownerUrl: string;
  logs: LogCapture;
  stripe: StripeDouble | undefined;
}

export interface StorefrontStack extends StorefrontApp {
  /** Base URL as a browser uses it, through the TLS front: https://127.0.0.1:<port> */
  url: string;
  /** The api's own plain-HTTP listener (what the gateway talks to in production). */
  directUrl: string;
  webhookUrl: string;
}

/**
 * The whole shop as `npm start` serves it: buildApp, the storefront plugin, CSP reports and
 * the payment routes (each registered here only while app.ts does not register it yet), on a
 * fresh migrated and seeded database and a unique Redis prefix. Not yet listening or ready.
 * Everything is closed, dropped and deleted in `t.after`.
 */
export async function buildStorefrontApp(
  t: Pick<TestContext, 'after'>,
  options: StorefrontStackOptions,
): Promise<StorefrontApp> {
  await requireRedis();
  const database = await createTestDatabase('sf');
  await runMigrations(database.url);
  const owner = createDatabase(database.url);
  await seedCatalogue(owner.db);
  const stripe = options.payments ? await new StripeDouble().start() : undefined;
  const stripeEnv = stripe?.env() ?? {};
  const redisPrefix = `${uniqueName('sf')}:`;
  const config = loadApiConfig({
    LOG_LEVEL: 'info',
    DATABASE_URL: runtimeUrl(database.url),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    ...stripeEnv,
    ...(options.distDir ? { STOREFRONT_DIR: options.distDir } : {}),
    ...options.env,
  });
  const logs = new LogCapture();
  // The tokenizer runs as its own mTLS service (tested in vault-tokenizer/); the shop's
  // browser tests use the api's test tokenizer client, which keeps no readable value, unless
  // a test starts a real tokenizer and passes `fakePii: false` with its TOKENIZER_* variables.
  const app = await buildApp(config, { logStream: logs, ...(options.fakePii === false ? {} : { pii: new FakePii() }) });
  t.after(async () => {
    await app.close();
    await stripe?.stop();
    await owner.pool.end();
    await deleteRedisPrefix(TEST_REDIS_URL, redisPrefix).catch(() => undefined);
    await database.drop();
  });
  return { app, db: owner.db, ownerUrl: database.url, logs, stripe };
}

/**
 * The shop on spare loopback ports for browser tests, behind a TLS front as the gateway puts
 * it in production: browsers honour `Reporting-Endpoints` (so CSP reports are delivered) and
 * `__Host-`/Secure cookies only on a secure origin. The certificate is self-signed, made by
 * openssl for this run; the browser context accepts it (`ignoreHTTPSErrors`).
 */
export async function startStorefrontStack(
  t: Pick<TestContext, 'after'>,
  options: StorefrontStackOptions,
): Promise<StorefrontStack> {
  const frontPort = await freePort();
  const url = `https://127.0.0.1:${frontPort}`;
  // The TLS front passes bytes through, so the api sees plain http: the browser's https
  // origin is allowed explicitly, as ALLOWED_ORIGINS would list a deployment's public origin.
  const stack = await buildStorefrontApp(t, { ...options, env: { ALLOWED_ORIGINS: url, ...options.env } });
  const { app } = stack;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the stack is not listening on a TCP port');
  await startTlsFront(t, frontPort, address.port);
  const directUrl = `http://127.0.0.1:${address.port}`;
  return { ...stack, url, directUrl, webhookUrl: `${directUrl}/api/webhooks/stripe` };
}

async function startTlsFront(t: Pick<TestContext, 'after'>, port: number, targetPort: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'pipe' },
    );
  } catch (err) {
    throw new Error(
      `openssl could not make the test certificate (${(err as Error).message}): apt-get install -y openssl`,
    );
  }
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
}
