import type { TestContext } from 'node:test';
import { createTestDatabase, TEST_REDIS_URL, uniqueName } from '@shop/shared/test-harness';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { type ApiDeps, buildApp } from '../src/app.js';
import { type ApiConfig, loadApiConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { runtimeUrl } from '../src/db/roles.js';
import type { PiiClient } from '../src/pii/pii-client.js';
import { TestClient } from './support/cookie-jar.js';
import { FakePii } from './support/fake-pii.js';
import { deleteRedisPrefix } from './support/redis-prefix.js';

export { TestClient } from './support/cookie-jar.js';

export interface TestAppOptions {
  /** Environment overrides, as strings, validated like the real environment. */
  env?: Record<string, string | undefined>;
  deps?: Partial<ApiDeps>;
  /** false: no Redis (in-process stores). Default: the shared test Redis with a unique prefix. */
  redis?: boolean;
  /** Use this database instead of creating one (fault tests put a proxy in front). */
  databaseUrl?: string;
  /**
   * The tokenizer client. Default: a FakePii (irreversible tokens and blind index). null: none
   * injected, so the app builds one from TOKENIZER_* in `env`, or has no tokenizer at all.
   */
  pii?: PiiClient | null;
}

export interface TestApp {
  app: FastifyInstance;
  /** Drizzle as the database owner (for arranging data the runtime role may not write). */
  db: Database;
  /** The runtime-role URL the app uses. */
  databaseUrl: string;
  /** The owner URL (migrations, arranging data). */
  ownerUrl: string;
  config: ApiConfig;
  redisPrefix: string;
  /** The injected tokenizer client (undefined with `pii: null`). */
  pii: PiiClient | undefined;
  client(remoteAddress?: string): TestClient;
}

/** Fails with the fix named, never a silent skip, when the test Redis is not running. */
export async function requireRedis(url = TEST_REDIS_URL): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${url} (${(err as Error).message}). Start it with: ` +
        'redis-server --daemonize yes --port 6379 --save "" --appendonly no, or set TEST_REDIS_URL.',
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * A fresh database (migrated as the owner; the app connects as the runtime role), Redis with a
 * unique key prefix, and the app; all closed and dropped in `t.after`.
 */
export async function buildTestApp(t: TestContext, options: TestAppOptions = {}): Promise<TestApp> {
  const useRedis = options.redis !== false;
  if (useRedis) await requireRedis();
  let ownerUrl = options.databaseUrl;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (!ownerUrl) {
    const database = await createTestDatabase('api');
    ownerUrl = database.url;
    dropDatabase = () => database.drop();
    await runMigrations(ownerUrl);
  }
  const databaseUrl = runtimeUrl(ownerUrl);
  const redisPrefix = `${uniqueName('t')}:`;
  const config = loadApiConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: useRedis ? TEST_REDIS_URL : undefined,
    REDIS_KEY_PREFIX: redisPrefix,
    ...options.env,
  });
  const owner = createDatabase(ownerUrl);
  // An idle owner connection cut by a fault test or the final DROP must not crash the file.
  owner.pool.on('error', () => undefined);
  const pii = options.pii === null ? undefined : (options.pii ?? new FakePii());
  const app = await buildApp(config, { ...(pii ? { pii } : {}), ...options.deps });
  t.after(async () => {
    await app.close();
    await owner.pool.end();
    if (useRedis) await deleteRedisPrefix(config.REDIS_URL ?? TEST_REDIS_URL, redisPrefix).catch(() => undefined);
    await dropDatabase?.();
  });
  await app.ready();
  return {
    app,
    db: owner.db,
    databaseUrl,
    ownerUrl,
    config,
    redisPrefix,
    pii: options.deps?.pii ?? pii,
    client: (remoteAddress?: string) => new TestClient(app, remoteAddress),
  };
}

let counter = 0;
/** A unique, valid address per call: test files share nothing. */
export function uniqueEmail(tag = 'shopper'): string {
  counter += 1;
  return `${tag}.${process.pid}.${Date.now().toString(36)}.${counter}@example.test`;
}

export const STRONG_PASSWORD = 'correct horse battery staple';
