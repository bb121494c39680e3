// Development certificates for `npm start`, made with the tokenizer's dev CA command
// (vault-tokenizer/src/cli/certs.ts) into an ignored folder. Never for production.
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Services `npm start` runs that carry a certificate of the internal CA. */
/**
 * Services `npm start` runs that carry a certificate of the internal CA. The admin portal's
 * certificate lets it reveal values in clear under a staff identity it asserts (pentest finding
 * 8.9): it is issued because `npm start` runs the portal, behind staff mTLS and a second factor.
 */
export const SERVICES = ['vault-tokenizer', 'api', 'order-worker', 'admin-portal'];
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

function expiresSoon(notAfter) {
  return notAfter.getTime() - Date.now() < RENEW_BEFORE_MS;
}

function certificateIsFresh(file) {
  if (!existsSync(file)) return false;
  try {
    return !expiresSoon(new Date(new X509Certificate(readFileSync(file)).validTo));
  } catch {
    return false;
  }
}

function crlIsFresh(file) {
  try {
    const out = execFileSync('openssl', ['crl', '-in', file, '-noout', '-nextupdate'], { encoding: 'utf8' });
    return !expiresSoon(new Date(out.replace(/^nextUpdate=/, '').trim()));
  } catch {
    return false;
  }
}

function certsCommand(root, dir, args) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'vault-tokenizer/src/cli/certs.ts', ...args], {
    cwd: root,
    env: { ...process.env, TOKENIZER_CERTS_DIR: dir },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`certs ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

/**
 * Makes sure the CA, a current CRL and a certificate for each service exist in `dir`
 * (re-issuing one that expires within a week). Returns the paths.
 */
export function ensureDevCertificates(root, dir, log) {
  const files = {
    dir,
    ca: join(dir, 'ca.pem'),
    crl: join(dir, 'crl.pem'),
    cert: (name) => join(dir, name, 'cert.pem'),
    key: (name) => join(dir, name, 'key.pem'),
  };
  if (!existsSync(files.ca)) {
    log(`creating a development CA and certificates in ${dir} (not for production)`);
    certsCommand(root, dir, ['init']);
  }
  for (const name of SERVICES) {
    if (certificateIsFresh(files.cert(name)) && existsSync(files.key(name))) continue;
    log(`issuing a development certificate for ${name}`);
    certsCommand(root, dir, ['issue', name]);
  }
  // The CRL has its own expiry; a stale one makes every mTLS handshake fail.
  if (!crlIsFresh(files.crl)) {
    log('renewing the development CRL');
    execFileSync('openssl', ['ca', '-batch', '-config', join(dir, 'openssl.cnf'), '-gencrl', '-out', files.crl], {
      stdio: 'ignore',
    });
  }
  return files;
}
