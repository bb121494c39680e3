import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

/**
 * Mutual TLS between services (ARCHITECTURE "Service identity"; PCI DSS v4.0.1 8.3, 4.2.1):
 * every service presents a certificate from the internal CA, and its identity is the
 * service name written in that certificate (SAN DNS name, equal to the CN). The same
 * helpers serve the admin portal with its separate staff CA.
 */

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Certificate revocation list of the CA; when present the peer's certificate is checked against it. */
  crl?: Buffer;
}

export interface TlsMaterialFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  crlFile?: string;
}

export class TlsMaterialError extends Error {
  override name = 'TlsMaterialError';
}

async function readPem(label: string, file: string): Promise<Buffer> {
  try {
    const data = await readFile(file);
    if (!data.includes('-----BEGIN ')) throw new Error('not a PEM file');
    return data;
  } catch (err) {
    throw new TlsMaterialError(`cannot read the ${label} at ${file}: ${(err as Error).message}`);
  }
}

/** Loads CA, certificate, key and (optionally) CRL, failing with the file that is missing. */
export async function loadTlsMaterial(files: TlsMaterialFiles): Promise<TlsMaterial> {
  const [ca, cert, key, crl] = await Promise.all([
    readPem('CA certificate', files.caFile),
    readPem('certificate', files.certFile),
    readPem('private key', files.keyFile),
    files.crlFile ? readPem('CRL', files.crlFile) : Promise.resolve(undefined),
  ]);
  return crl ? { ca, cert, key, crl } : { ca, cert, key };
}

/**
 * Server options for a service that accepts only callers with a certificate from its CA:
 * the handshake itself fails without one, with another CA's, or with a revoked one.
 */
export function mtlsServerOptions(material: TlsMaterial) {
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    ...(material.crl ? { crl: material.crl } : {}),
    requestCert: true,
    rejectUnauthorized: true,
    // Internal links only, so no legacy clients to serve: TLS 1.3 has no renegotiation, so a
    // connection's peer certificate (its identity) is fixed at the handshake.
    minVersion: 'TLSv1.3' as const,
  };
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * The service name a certificate asserts: its CN, which must also be one of its SAN DNS
 * names when it has any. Anything ambiguous or malformed yields undefined (no identity).
 */
export function serviceNameOf(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'> | undefined) {
  if (!cert?.subject) return undefined;
  const cn = cert.subject.CN;
  if (typeof cn !== 'string' || !SERVICE_NAME.test(cn)) return undefined;
  const dnsNames = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (dnsNames.length > 0 && !dnsNames.includes(cn)) return undefined;
  return cn;
}

/** The verified peer's service name, or undefined when the socket is not an authorised mTLS peer. */
export function peerServiceName(socket: TLSSocket): string | undefined {
  // Defence in depth: the server refuses unauthorised handshakes, but a misconfigured
  // server (rejectUnauthorized false) must still not yield an identity.
  if (!socket.authorized) return undefined;
  return serviceNameOf(socket.getPeerCertificate());
}

/** A `checkServerIdentity` that accepts only the named service's certificate. */
export function expectServiceName(expected: string) {
  return (_host: string, cert: PeerCertificate): Error | undefined =>
    serviceNameOf(cert) === expected
      ? undefined
      : new Error(`server certificate does not name the service ${expected}`);
}

// ---------------------------------------------------------------------------------------
// Development and test certificate authority, through the machine's openssl CLI.
// openssl is already required by the suite (gateway, nginx), keeps the supply chain at
// zero new packages, and its `ca` command maintains the index and CRL in the standard
// format that any operator can inspect with `openssl crl -text`.
// ---------------------------------------------------------------------------------------

const run = promisify(execFile);

async function openssl(args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    // The config reads $ENV::SAN on every command, so it always needs a value.
    const { stdout } = await run('openssl', args, { env: { ...process.env, SAN: 'DNS:unused', ...env } });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install -y openssl');
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface IssuedCertificate {
  name: string;
  certFile: string;
  keyFile: string;
}

/**
 * A certificate authority kept in a folder: `ca.pem`, `ca-key.pem`, `crl.pem`, and one
 * folder per issued name with `cert.pem` and `key.pem`. For development and tests only;
 * production certificates come from the operator's PKI.
 */
export class DevCertificateAuthority {
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly crlFile: string;
  private readonly configFile: string;
  // `openssl ca` rewrites serial and index files in place: concurrent runs would corrupt them.
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly caName = 'Shop Internal CA',
  ) {
    this.caFile = join(dir, 'ca.pem');
    this.caKeyFile = join(dir, 'ca-key.pem');
    this.crlFile = join(dir, 'crl.pem');
    this.configFile = join(dir, 'openssl.cnf');
  }

  certFile(name: string): string {
    return join(this.dir, name, 'cert.pem');
  }

  keyFile(name: string): string {
    return join(this.dir, name, 'key.pem');
  }

  /** Creates the CA (key, self-signed certificate, empty CRL) unless it already exists. */
  async init(): Promise<this> {
    if (await exists(this.caFile)) return this;
    await mkdir(join(this.dir, 'newcerts'), { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, 'index.txt'), '');
    await writeFile(join(this.dir, 'serial'), `${randomSerial()}\n`);
    await writeFile(join(this.dir, 'crlnumber'), '1000\n');
    await writeFile(this.configFile, opensslConfig(this.dir));
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', this.caKeyFile]);
    await chmod(this.caKeyFile, 0o600);
    await openssl([
      'req',
      '-x509',
      '-new',
      '-config',
      this.configFile,
      '-extensions',
      'ca_ext',
      '-key',
      this.caKeyFile,
      '-subj',
      `/CN=${this.caName}`,
      '-days',
      '3650',
      '-out',
      this.caFile,
    ]);
    await this.writeCrl();
    return this;
  }

  /**
   * Issues a certificate whose CN and SAN are the service name (plus loopback names for servers,
   * and `extraSan` entries such as `IP:10.13.13.1` for a server reached at another address).
   */
  issue(name: string, opts: { days?: number; server?: boolean; extraSan?: string[] } = {}): Promise<IssuedCertificate> {
    return this.exclusive(() => this.issueNow(name, opts));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private async issueNow(
    name: string,
    opts: { days?: number; server?: boolean; extraSan?: string[] },
  ): Promise<IssuedCertificate> {
    if (!SERVICE_NAME.test(name)) throw new Error(`not a service name: ${name}`);
    const folder = join(this.dir, name);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const keyFile = this.keyFile(name);
    const certFile = this.certFile(name);
    const csr = join(folder, 'req.csr');
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    await chmod(keyFile, 0o600);
    await openssl(['req', '-new', '-config', this.configFile, '-key', keyFile, '-subj', `/CN=${name}`, '-out', csr]);
    for (const entry of opts.extraSan ?? []) {
      if (!/^(DNS:[a-z0-9.-]{1,253}|IP:[0-9.]{7,15})$/.test(entry)) throw new Error(`not a SAN entry: ${entry}`);
    }
    const san = [
      ...(opts.server ? [`DNS:${name}`, 'DNS:localhost', 'IP:127.0.0.1'] : [`DNS:${name}`]),
      ...(opts.extraSan ?? []),
    ].join(',');
    await openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        this.configFile,
        '-extensions',
        'leaf_ext',
        '-days',
        String(opts.days ?? 30),
        '-in',
        csr,
        '-out',
        certFile,
      ],
      { SAN: san },
    );
    return { name, certFile, keyFile };
  }

  /** Revokes the current certificate of a name and rewrites the CRL. */
  revoke(name: string): Promise<void> {
    return this.exclusive(async () => {
      await openssl(['ca', '-batch', '-config', this.configFile, '-revoke', this.certFile(name)]);
      await this.writeCrl();
    });
  }

  private async writeCrl(): Promise<void> {
    await openssl(['ca', '-batch', '-config', this.configFile, '-gencrl', '-out', this.crlFile]);
  }

  async material(name: string): Promise<TlsMaterial> {
    return loadTlsMaterial({
      caFile: this.caFile,
      certFile: this.certFile(name),
      keyFile: this.keyFile(name),
      crlFile: this.crlFile,
    });
  }
}

function randomSerial(): string {
  // A random start keeps serials of successive throwaway CAs from colliding in a browser/OS store.
  return `1${randomBytes(8).toString('hex')}0`;
}

function opensslConfig(dir: string): string {
  return `# Generated by @shop/shared/mtls for a development/test CA. Not for production.
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca-key.pem
default_md = sha256
default_days = 30
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ ca_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,serverAuth
subjectAltName = $ENV::SAN
authorityKeyIdentifier = keyid
`;
}
