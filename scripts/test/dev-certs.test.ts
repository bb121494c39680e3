import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureDevCertificates } from '../lib/dev-certs.mjs';

// Pentest finding 8.9: the tokenizer lets the admin-portal caller reveal values in clear under a
// staff identity the caller asserts itself, so a certificate for it must not exist before the
// portal (mTLS plus a second factor) does (PCI DSS v4.0.1 7.2.2, least privilege).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dev-certs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function crlText(): string {
  return execFileSync('openssl', ['crl', '-noout', '-text', '-in', join(dir, 'crl.pem')], { encoding: 'utf8' });
}

describe('development certificates of npm start', () => {
  it('[pentest 8.9] npm start issues no admin-portal certificate, and revokes and deletes one an older init left (PCI DSS 7.2.2)', () => {
    const logged: string[] = [];
    ensureDevCertificates(ROOT, dir, (m: string) => logged.push(m));
    for (const name of ['vault-tokenizer', 'api', 'order-worker'])
      assert.ok(existsSync(join(dir, name, 'cert.pem')), name);
    assert.ok(!existsSync(join(dir, 'admin-portal')), 'no admin-portal certificate was issued');

    // An admin-portal certificate as an older `certs init` issued it.
    const issued = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'vault-tokenizer/src/cli/certs.ts', 'issue', 'admin-portal'],
      {
        cwd: ROOT,
        env: { ...process.env, TOKENIZER_CERTS_DIR: dir },
        encoding: 'utf8',
      },
    );
    assert.equal(issued.status, 0, issued.stderr);
    const serial = new X509Certificate(readFileSync(join(dir, 'admin-portal', 'cert.pem'))).serialNumber;
    assert.ok(!crlText().toUpperCase().includes(serial.toUpperCase()));

    ensureDevCertificates(ROOT, dir, (m: string) => logged.push(m));
    assert.ok(crlText().toUpperCase().includes(serial.toUpperCase()), 'the left-over certificate is revoked');
    assert.ok(!existsSync(join(dir, 'admin-portal')), 'and its key is gone');
    assert.ok(logged.some((m) => m.includes('revoking the development certificate of admin-portal')));
  });
});
