import { verify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { loadTlsMaterial, mtlsServerOptions, type TlsMaterialFiles } from './mtls.js';

/**
 * Revocation that reaches open connections (pentest finding 8.5; PCI DSS v4.0.1 8.2.6, 8.3.1).
 *
 * A TLS server checks its CRL at the handshake only, and an HTTP keep-alive connection that
 * stays busy never shakes hands again: a revoked certificate would keep working for as long
 * as its connection lived. `MtlsConnectionGuard` closes that gap for any mTLS server (the
 * tokenizer for service certificates, the admin portal for staff certificates):
 *
 * - it polls the CRL file; when its bytes change it loads the new CRL into the server's
 *   secure context (new handshakes refuse the revoked certificate) and destroys at once
 *   every open connection whose peer certificate the new CRL lists (matched by issuer
 *   fingerprint and serial number, with the CRL's signature checked against the CA file);
 *   a CRL it cannot parse or verify closes every connection (they reconnect, and the
 *   handshake applies whatever OpenSSL makes of the file): never "keep serving, unchecked";
 * - it gives every connection a maximum age: past it, the connection's next answer carries
 *   `Connection: close`, so the client reconnects and shakes hands again, under the current
 *   CRL; a connection whose certificate expires is destroyed at the expiry.
 *
 * Polling rather than `fs.watch`: it also sees a file replaced by rename or a secret volume
 * swapped behind a symlink, and a revocation takes effect within one interval.
 */

export interface ConnectionGuardLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConnectionGuardOptions {
  /** The server's TLS files; the CA and CRL files are the ones that decide revocation. */
  files: TlsMaterialFiles & { crlFile: string };
  /** How often the CRL file is compared with the one in force. */
  crlCheckIntervalMs: number;
  /** Age after which a connection is closed (after its in-flight requests answered). */
  maxAgeMs: number;
  log: ConnectionGuardLog;
  /** Time the requests in flight on an aged connection get before it is destroyed. */
  drainGraceMs?: number;
}

/** Why a connection was closed, as logged (`event: "mtls.connection_closed"`). */
export type CloseReason = 'revoked' | 'max_age' | 'certificate_expired' | 'crl_unverifiable';

interface Tracked {
  socket: TLSSocket;
  /** `<issuer SHA-256 fingerprint>/<serial>`, the key revocation lists are matched on. */
  key: string | undefined;
  peer: string | undefined;
  serial: string | undefined;
  inFlight: number;
  /** Responses in flight whose headers may still say `Connection: close`. */
  responses: Set<ServerResponse>;
  draining: boolean;
  timers: NodeJS.Timeout[];
}

const CRL_PEM = /-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g;
const CERT_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

// Signature algorithms a CA of ours may sign its CRL with (RFC 5758, RFC 8017, RFC 8410).
const SIGNATURE_HASH: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

function normaliseSerial(hex: string): string {
  return hex
    .replace(/[^0-9a-f]/gi, '')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

export class CrlError extends Error {
  override name = 'CrlError';
}

/**
 * The certificates a CRL file revokes, as `<issuer fingerprint>/<serial>` keys. Each CRL in
 * the file must be signed by one of the CAs in `caPem`; one that is not (or cannot be read)
 * makes the whole file a `CrlError`, since its entries cannot be trusted or attributed.
 */
export function revokedCertificates(crlPem: Buffer | string, caPem: Buffer | string): Set<string> {
  const cas = (caPem.toString().match(CERT_PEM) ?? []).map((pem) => new X509Certificate(pem));
  const blocks = crlPem.toString().match(CRL_PEM) ?? [];
  if (blocks.length === 0) throw new CrlError('the CRL file holds no CRL');
  const revoked = new Set<string>();
  for (const block of blocks) {
    const der = Buffer.from(block.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
    let crl: CertificateList;
    try {
      crl = AsnConvert.parse(der, CertificateList);
    } catch (err) {
      throw new CrlError(`a CRL could not be parsed: ${(err as Error).message}`);
    }
    const algorithm = crl.signatureAlgorithm.algorithm;
    if (!Object.hasOwn(SIGNATURE_HASH, algorithm) || !crl.tbsCertListRaw) {
      throw new CrlError(`a CRL is signed with an unsupported algorithm (${algorithm})`);
    }
    const hash = SIGNATURE_HASH[algorithm] ?? null;
    const tbs = Buffer.from(crl.tbsCertListRaw);
    const signature = Buffer.from(crl.signature);
    const issuer = cas.find((ca) => {
      try {
        return verify(hash, tbs, ca.publicKey, signature);
      } catch {
        return false;
      }
    });
    if (!issuer) throw new CrlError('a CRL is not signed by any CA of the CA file');
    for (const entry of crl.tbsCertList.revokedCertificates ?? []) {
      revoked.add(`${issuer.fingerprint256}/${normaliseSerial(Buffer.from(entry.userCertificate).toString('hex'))}`);
    }
  }
  return revoked;
}

/** Tracks every mTLS connection of a server; see the module comment. Call `start()` once, `stop()` at close. */
export class MtlsConnectionGuard {
  private readonly connections = new Map<TLSSocket, Tracked>();
  private revoked = new Set<string>();
  private crlInForce: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly drainGraceMs: number;

  constructor(
    private readonly server: tls.Server,
    private readonly options: ConnectionGuardOptions,
  ) {
    this.drainGraceMs = options.drainGraceMs ?? 30_000;
    // Listeners are attached at once, so no connection accepted from now on goes untracked.
    server.on('secureConnection', (socket: TLSSocket) => this.track(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /** Reads the CRL in force and starts polling it. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.crlCheckIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.connections.values()) for (const timer of t.timers) clearTimeout(timer);
  }

  /** Open connections tracked (for tests and readiness figures). */
  get size(): number {
    return this.connections.size;
  }

  /** Compares the CRL file with the one in force and applies it when it changed. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.checkNow().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkNow(): Promise<void> {
    const { files, log } = this.options;
    let crl: Buffer;
    try {
      crl = await readFile(files.crlFile);
    } catch (err) {
      log.error(
        { err, crlFile: files.crlFile },
        'certificate revocation list could not be read; keeping the one in force',
      );
      return;
    }
    if (this.crlInForce?.equals(crl)) return;
    const initial = this.crlInForce === undefined;
    try {
      // A file that does not load keeps the previous context: never "no CRL".
      const material = await loadTlsMaterial(files);
      this.server.setSecureContext(mtlsServerOptions(material));
    } catch (err) {
      log.error(
        { err, crlFile: files.crlFile },
        'certificate revocation list could not be loaded; keeping the one in force',
      );
      return;
    }
    this.crlInForce = crl;
    try {
      this.revoked = revokedCertificates(crl, await readFile(files.caFile));
    } catch (err) {
      log.error(
        { err, event: 'mtls.crl_unverifiable', crlFile: files.crlFile },
        'certificate revocation list could not be verified; closing every connection so each shakes hands again',
      );
      this.revoked = new Set();
      for (const t of this.connections.values()) this.drain(t, 'crl_unverifiable');
      return;
    }
    if (!initial)
      log.info({ crlFile: files.crlFile, revoked: this.revoked.size }, 'certificate revocation list reloaded');
    for (const t of this.connections.values()) if (t.key && this.revoked.has(t.key)) this.close(t, 'revoked');
  }

  private track(socket: TLSSocket): void {
    const cert = socket.getPeerCertificate(true);
    const serial = cert?.serialNumber ? normaliseSerial(cert.serialNumber) : undefined;
    const issuer = cert?.issuerCertificate?.fingerprint256;
    const t: Tracked = {
      socket,
      key: serial && issuer ? `${issuer}/${serial}` : undefined,
      peer: typeof cert?.subject?.CN === 'string' ? cert.subject.CN : undefined,
      serial,
      inFlight: 0,
      responses: new Set(),
      draining: false,
      timers: [],
    };
    this.connections.set(socket, t);
    socket.once('close', () => {
      for (const timer of t.timers) clearTimeout(timer);
      this.connections.delete(socket);
    });
    // A handshake made under the previous CRL while the new one was being applied.
    if (t.key && this.revoked.has(t.key)) {
      this.close(t, 'revoked');
      return;
    }
    const expiresIn = cert?.valid_to ? Date.parse(cert.valid_to) - Date.now() : Number.POSITIVE_INFINITY;
    const expires = expiresIn < this.options.maxAgeMs;
    const age = Math.max(0, Math.min(this.options.maxAgeMs, expiresIn));
    // An expired certificate gets no further answer; an aged connection ends gracefully.
    const timer = setTimeout(() => (expires ? this.close(t, 'certificate_expired') : this.drain(t, 'max_age')), age);
    timer.unref();
    t.timers.push(timer);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t = this.connections.get(req.socket as TLSSocket);
    if (!t) return;
    t.inFlight++;
    // A request that arrives on a draining connection is answered, and the answer ends it.
    if (t.draining) closeAfter(res);
    else t.responses.add(res);
    res.once('close', () => {
      t.inFlight--;
      t.responses.delete(res);
    });
  }

  /**
   * Closes gracefully: answers in flight, or else the connection's next answer, say
   * `Connection: close`, and Node ends the connection after it (the client opens a new one for
   * its next request). The server never ends an idle aged connection itself: that would race a
   * client just sending on it; an idle one ends at the next answer or the keep-alive timeout.
   * Requests still in flight after the grace period are cut.
   */
  private drain(t: Tracked, reason: CloseReason): void {
    if (t.draining) return;
    t.draining = true;
    this.options.log.info(
      { event: 'mtls.connection_closed', reason, peer: t.peer, serial: t.serial },
      'closing an mTLS connection',
    );
    for (const res of t.responses) closeAfter(res);
    t.responses.clear();
    const grace = setTimeout(() => {
      if (t.inFlight > 0) t.socket.destroy();
    }, this.drainGraceMs);
    grace.unref();
    t.timers.push(grace);
  }

  /** Closes at once: a revoked (or expired) certificate gets no further answer, not even to a request in flight. */
  private close(t: Tracked, reason: CloseReason): void {
    this.options.log.warn(
      { event: 'mtls.connection_closed', reason, peer: t.peer, serial: t.serial },
      'closing an mTLS connection at once',
    );
    t.socket.destroy();
  }
}

/** Node ends the connection after a response whose headers say `Connection: close`. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}
