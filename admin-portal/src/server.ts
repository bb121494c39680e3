import type tls from 'node:tls';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadAdminConfig } from './config.js';
import { guardRevocation } from './tls/revocation-guard.js';
import { loadStaffTls } from './tls/server-tls.js';

/**
 * The portal process: validates its environment, loads the staff TLS material (refusing to
 * start without it) and serves HTTPS with staff client certificates required.
 */
async function main(): Promise<void> {
  const config = loadAdminConfig();
  const files = {
    staffCaFile: config.ADMIN_STAFF_CA_FILE,
    staffCrlFile: config.ADMIN_STAFF_CRL_FILE,
    certFile: config.ADMIN_TLS_CERT_FILE,
    keyFile: config.ADMIN_TLS_KEY_FILE,
  };
  const app = await buildApp(config, { https: await loadStaffTls(files) });
  const guard = guardRevocation({
    server: app.server as unknown as tls.Server,
    crlFile: files.staffCrlFile,
    loadContext: () => loadStaffTls(files),
    intervalMs: config.ADMIN_CRL_RELOAD_SECONDS * 1000,
    maxConnectionAgeMs: config.ADMIN_CONNECTION_MAX_AGE_SECONDS * 1000,
    log: app.log,
  });
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    guard.stop();
    await app.close();
  });
  await app.listen({ host: config.ADMIN_HOST, port: config.ADMIN_PORT });
  console.log(`admin-portal: https://${config.ADMIN_HOST}:${config.ADMIN_PORT} (staff certificate + second factor)`);
}

main().catch((err: unknown) => {
  console.error(`admin-portal failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
