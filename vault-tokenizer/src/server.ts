import { ConfigError } from '@shop/shared/config';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadTokenizerConfig } from './config.js';
import { migrate, openRuntimeDatabase } from './db/database.js';
import { createKeyProvider } from './keys/index.js';
import { loadPolicy } from './policy/policy.js';
import { loadServerTls } from './tls/server-tls.js';

/**
 * The tokenizer process: validates its environment, applies migrations, loads the policy
 * and the mTLS material (refusing to start without them), and serves HTTPS with client
 * certificates required. Stops gracefully on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const config = loadTokenizerConfig();
  const files = {
    caFile: config.TOKENIZER_TLS_CA_FILE,
    certFile: config.TOKENIZER_TLS_CERT_FILE,
    keyFile: config.TOKENIZER_TLS_KEY_FILE,
    crlFile: config.TOKENIZER_TLS_CRL_FILE,
  };
  const https = await loadServerTls(files);
  const policy = await loadPolicy(config.TOKENIZER_POLICY_FILE);
  await migrate(config.TOKENIZER_DATABASE_URL, config.TOKENIZER_DB_RUNTIME_ROLE);
  const database = openRuntimeDatabase(
    config.TOKENIZER_RUNTIME_DATABASE_URL
      ? { url: config.TOKENIZER_RUNTIME_DATABASE_URL }
      : { url: config.TOKENIZER_DATABASE_URL, runtimeRole: config.TOKENIZER_DB_RUNTIME_ROLE },
  );
  const provider = createKeyProvider(config, { log: (m) => console.warn(`[vault-tokenizer] ${m}`) });
  const app = await buildApp(
    {
      database,
      provider,
      policy,
      keyCache: {
        ttlMs: config.TOKENIZER_KEY_CACHE_TTL_SECONDS * 1000,
        maxUses: config.TOKENIZER_KEY_CACHE_MAX_USES,
        maxEntries: config.TOKENIZER_KEY_CACHE_MAX_ENTRIES,
      },
    },
    {
      https,
      logLevel: config.LOG_LEVEL,
      connectionGuard: {
        files,
        crlCheckIntervalMs: config.TOKENIZER_CRL_RELOAD_SECONDS * 1000,
        maxAgeMs: config.TOKENIZER_CONNECTION_MAX_AGE_SECONDS * 1000,
      },
    },
  );
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    await app.close();
  });
  await app.listen({ host: config.TOKENIZER_HOST, port: config.TOKENIZER_PORT });
  app.log.info(
    { keyProvider: provider.kind, policyVersion: policy.version, port: config.TOKENIZER_PORT },
    'vault-tokenizer listening (mTLS only)',
  );
  console.log(
    `vault-tokenizer: https://${config.TOKENIZER_HOST}:${config.TOKENIZER_PORT} (mTLS), key provider ${provider.kind}`,
  );
}

main().catch((err: unknown) => {
  // Configuration and startup errors name what is wrong; they never print secrets.
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  console.error(`vault-tokenizer failed to start: ${message}`);
  process.exit(1);
});
