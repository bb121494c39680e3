import type tls from 'node:tls';
import { loadTlsMaterial } from '@shop/shared/mtls';
import closeWithGrace from 'close-with-grace';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { loadSigningKey, scheduleCheckpoints } from './audit/checkpoints.js';
import { loadAdminConfig } from './config.js';
import { migrate, openRuntimePool } from './db/database.js';
import { type RefundGateway, StripeRefundGateway } from './payments/refund-gateway.js';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from './sessions/session-store.js';
import { scheduleInactivitySweep } from './staff/inactivity-sweep.js';
import { guardRevocation } from './tls/revocation-guard.js';
import { loadStaffTls } from './tls/server-tls.js';
import { HttpTokenizerClient } from './tokenizer/tokenizer-client.js';

/**
 * The portal process: validates its environment, applies its migrations, loads the staff TLS
 * material and the audit signing key (refusing to start without them), and serves HTTPS with
 * staff client certificates required.
 */
async function main(): Promise<void> {
  const config = loadAdminConfig();
  // Only the server needs it (the staff-certs and audit commands do not).
  if (!config.ADMIN_TOTP_KEY)
    throw new Error('invalid configuration: ADMIN_TOTP_KEY (or ADMIN_TOTP_KEY_FILE) is required');
  const totpKey = Buffer.from(config.ADMIN_TOTP_KEY, 'base64');
  const files = {
    staffCaFile: config.ADMIN_STAFF_CA_FILE,
    staffCrlFile: config.ADMIN_STAFF_CRL_FILE,
    certFile: config.ADMIN_TLS_CERT_FILE,
    keyFile: config.ADMIN_TLS_KEY_FILE,
  };
  const https = await loadStaffTls(files);
  const signingKey = await loadSigningKey(config.ADMIN_AUDIT_SIGNING_KEY_FILE);
  await migrate(config.ADMIN_DATABASE_URL);
  const db = config.ADMIN_RUNTIME_DATABASE_URL
    ? openRuntimePool({ url: config.ADMIN_RUNTIME_DATABASE_URL })
    : openRuntimePool({ url: config.ADMIN_DATABASE_URL, switchRole: true });
  let redis: Redis | undefined;
  let sessions: SessionStore;
  if (config.REDIS_URL) {
    // Fail fast instead of queueing commands while Redis is away (PITFALLS: ioredis offline queue).
    redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    redis.on('error', () => {});
    sessions = new RedisSessionStore(redis, config.ADMIN_REDIS_PREFIX);
  } else {
    console.warn('admin-portal: REDIS_URL is unset: sessions are kept in this process only');
    sessions = new MemorySessionStore();
  }
  const tokenizer = new HttpTokenizerClient(
    config.ADMIN_TOKENIZER_URL,
    await loadTlsMaterial({
      caFile: config.ADMIN_INTERNAL_CA_FILE,
      certFile: config.ADMIN_TLS_CERT_FILE,
      keyFile: config.ADMIN_TLS_KEY_FILE,
    }),
  );
  const refunds: RefundGateway = config.ADMIN_STRIPE_SECRET_KEY
    ? new StripeRefundGateway({
        secretKey: config.ADMIN_STRIPE_SECRET_KEY,
        host: config.STRIPE_API_HOST,
        port: config.STRIPE_API_PORT,
        protocol: config.STRIPE_API_PROTOCOL,
      })
    : // Without a key nothing can be refunded, and the page says so.
      { refund: async () => ({ outcome: 'refused', code: 'payments_not_configured' }) };
  const app = await buildApp(config, {
    https,
    db,
    sessions,
    totpKey,
    tokenizer,
    refunds,
  });
  const guard = guardRevocation({
    server: app.server as unknown as tls.Server,
    crlFile: files.staffCrlFile,
    loadContext: () => loadStaffTls(files),
    intervalMs: config.ADMIN_CRL_RELOAD_SECONDS * 1000,
    maxConnectionAgeMs: config.ADMIN_CONNECTION_MAX_AGE_SECONDS * 1000,
    log: app.log,
  });
  const stopCheckpoints = scheduleCheckpoints(db, signingKey, config.ADMIN_AUDIT_CHECKPOINT_SECONDS * 1000, app.log);
  // PCI DSS 8.2.6: at start and hourly, accounts unused for ADMIN_INACTIVE_DISABLE_DAYS are disabled.
  const stopSweep = scheduleInactivitySweep(db, config.ADMIN_INACTIVE_DISABLE_DAYS * 86_400_000, 3_600_000, app.log);
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    guard.stop();
    stopCheckpoints();
    stopSweep();
    await app.close();
    await db.end();
    tokenizer.close();
    redis?.disconnect();
  });
  await app.listen({ host: config.ADMIN_HOST, port: config.ADMIN_PORT });
  console.log(`admin-portal: https://${config.ADMIN_HOST}:${config.ADMIN_PORT} (staff certificate + second factor)`);
}

main().catch((err: unknown) => {
  console.error(`admin-portal failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
