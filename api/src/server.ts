import { randomBytes } from 'node:crypto';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { type ApiConfig, loadApiConfig } from './config.js';
import { runMigrations } from './db/migrate.js';
import { runtimeUrl, setRuntimePassword } from './db/roles.js';

export interface StartedApi {
  app: FastifyInstance;
  url: string;
  /** Owner URL when the embedded PostgreSQL is in use (seeding at start). */
  ownerUrl: string | undefined;
  close(): Promise<void>;
}

export interface StartApiHooks {
  /** Runs once the database is migrated, before the app is built (seeding, other services' setup). */
  beforeListen?: (ownerUrl: string | undefined) => Promise<void>;
  /** Runs at close, after the app has stopped and before the embedded PostgreSQL does. */
  beforeStopDatabase?: () => Promise<void>;
}

/**
 * Resolves the database (the configured one, or a real embedded PostgreSQL), applies the
 * migrations as the owner, builds the app connected as the runtime role and listens.
 * The only place that listens.
 */
export async function startApi(config: ApiConfig, hooks: StartApiHooks = {}): Promise<StartedApi> {
  let ownerUrl = config.DATABASE_MIGRATION_URL;
  let stopDatabase: (() => Promise<void>) | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    console.warn(
      `[api] DATABASE_URL is unset: starting an embedded PostgreSQL in ${config.EMBEDDED_PG_DIR} (not for production)`,
    );
    // Loaded only on this path: production bundles carry no PostgreSQL binaries (scripts/build.mjs).
    const { startEmbeddedPostgres } = await import('./db/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres({ dir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT });
    stopDatabase = embedded.stop;
    ownerUrl = embedded.ownerUrl;
    await runMigrations(ownerUrl);
    const password = randomBytes(24).toString('base64url');
    await setRuntimePassword(ownerUrl, password);
    databaseUrl = runtimeUrl(ownerUrl, password);
  } else if (ownerUrl) {
    await runMigrations(ownerUrl);
  } else {
    console.warn('[api] DATABASE_MIGRATION_URL is unset: migrations are not applied at start');
  }
  if (!config.REDIS_URL) {
    console.warn('[api] REDIS_URL is unset: sessions and rate limits are in-process (single process only)');
  }
  await hooks.beforeListen?.(ownerUrl);
  const app = await buildApp({ ...config, DATABASE_URL: databaseUrl });
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  return {
    app,
    url: address,
    ownerUrl,
    async close() {
      await app.close();
      await hooks.beforeStopDatabase?.();
      await stopDatabase?.();
    },
  };
}

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadApiConfig();
  } catch (err) {
    console.error(`[api] ${(err as Error).message}`);
    process.exit(1);
  }
  const started = await startApi(config);
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) started.app.log.error({ err }, 'shutting down after an error');
    await started.close();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error('[api] failed to start:', (err as Error).message);
    process.exit(1);
  });
}
