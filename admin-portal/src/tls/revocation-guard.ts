import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { SecureContextOptions, Server, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The small interface the portal needs from a CRL watcher (issue 8, finding 5): reload the
 * CRL when its file changes, close open connections whose certificate it now revokes, and
 * give every connection a maximum age. Kept behind this interface so a shared
 * implementation can replace it without touching the server.
 */
export interface RevocationGuard {
  /** Checks the CRL file now (the timer does the same every interval). */
  check(): Promise<void>;
  /** Number of authenticated connections being tracked. */
  readonly openConnections: number;
  stop(): void;
}

export interface RevocationGuardOptions {
  server: Server;
  crlFile: string;
  /** Builds the full secure context again (CA, CRL, certificate) after the CRL changed. */
  loadContext: () => Promise<SecureContextOptions>;
  intervalMs: number;
  maxConnectionAgeMs: number;
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
}

/** Serial numbers revoked by a PEM CRL, through the openssl CLI (already required for the CA). */
export async function revokedSerials(crlFile: string): Promise<Set<string>> {
  const { stdout } = await run('openssl', ['crl', '-in', crlFile, '-noout', '-text']);
  const serials = new Set<string>();
  for (const m of stdout.matchAll(/Serial Number:\s*([0-9A-Fa-f]+)/g)) serials.add(normaliseSerial(m[1] ?? ''));
  return serials;
}

export function normaliseSerial(serial: string): string {
  return serial.toUpperCase().replace(/^0+(?=.)/, '');
}

export function guardRevocation(opts: RevocationGuardOptions): RevocationGuard {
  const open = new Map<TLSSocket, { serial: string; since: number }>();
  const onSecure = (socket: TLSSocket) => {
    const serial = normaliseSerial(socket.getPeerCertificate()?.serialNumber ?? '');
    open.set(socket, { serial, since: Date.now() });
    socket.once('close', () => open.delete(socket));
  };
  opts.server.on('secureConnection', onSecure);

  let lastMtime = 0;
  let inflight: Promise<void> | undefined;
  const check = (): Promise<void> => {
    inflight ??= checkOnce().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
  const checkOnce = async () => {
    try {
      const now = Date.now();
      for (const [socket, info] of open) {
        if (now - info.since >= opts.maxConnectionAgeMs) socket.destroy();
      }
      const { mtimeMs } = await stat(opts.crlFile);
      if (mtimeMs === lastMtime) return;
      const first = lastMtime === 0;
      lastMtime = mtimeMs;
      if (first) return;
      // New handshakes see the new CRL first, then already-open connections are checked.
      opts.server.setSecureContext(await opts.loadContext());
      const revoked = await revokedSerials(opts.crlFile);
      let closed = 0;
      for (const [socket, info] of open) {
        if (revoked.has(info.serial)) {
          socket.destroy();
          closed++;
        }
      }
      opts.log.info({ crlFile: opts.crlFile, closedConnections: closed }, 'staff certificate revocation list reloaded');
    } catch (err) {
      // A bad or missing file keeps the previous context: never "no CRL".
      opts.log.error({ err }, 'staff CRL could not be reloaded; keeping the previous one');
    }
  };
  void check();
  const timer = setInterval(check, opts.intervalMs);
  timer.unref();
  return {
    check,
    get openConnections() {
      return open.size;
    },
    stop() {
      clearInterval(timer);
      opts.server.off('secureConnection', onSecure);
    },
  };
}
