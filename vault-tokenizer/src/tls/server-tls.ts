import { loadTlsMaterial, mtlsServerOptions } from '@shop/shared/mtls';

export interface ServerTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  crlFile: string;
}

/**
 * mTLS only: a caller without a current certificate of the internal CA never completes the
 * handshake. The CRL is then re-read while the service runs, and connections of a revoked
 * certificate are closed, by `MtlsConnectionGuard` (`@shop/shared/mtls-connections`, wired in
 * `buildApp`).
 */
export async function loadServerTls(files: ServerTlsFiles) {
  return mtlsServerOptions(await loadTlsMaterial(files));
}
