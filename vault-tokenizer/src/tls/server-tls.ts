import { stat } from 'node:fs/promises';
import type tls from 'node:tls';
import { loadTlsMaterial, mtlsServerOptions } from '@shop/shared/mtls';

export interface ServerTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  crlFile: string;
}

/** mTLS only: a caller without a current certificate of the internal CA never completes the handshake. */
export async function loadServerTls(files: ServerTlsFiles) {
  return mtlsServerOptions(await loadTlsMaterial(files));
}

/**
 * Re-reads the CRL (and certificate) when the CRL file changes, so `certs revoke` takes
 * effect on a running tokenizer within one interval, without a restart. A bad file keeps
 * the previous context (never "no CRL").
 */
export function reloadTlsOnCrlChange(
  server: tls.Server,
  files: ServerTlsFiles,
  intervalMs: number,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
): () => void {
  let lastMtime = 0;
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      const { mtimeMs } = await stat(files.crlFile);
      if (lastMtime !== 0 && mtimeMs !== lastMtime) {
        server.setSecureContext(await loadServerTls(files));
        log.info({ crlFile: files.crlFile }, 'certificate revocation list reloaded');
      }
      lastMtime = mtimeMs;
    } catch (err) {
      log.error({ err }, 'certificate revocation list could not be reloaded; keeping the previous one');
    } finally {
      running = false;
    }
  };
  void check();
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
