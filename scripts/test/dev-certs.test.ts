import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureDevCertificates, SERVICES } from '../lib/dev-certs.mjs';

// Pentest finding 8.9: the tokenizer lets the admin-portal caller reveal values in clear under a
// staff identity the caller asserts itself, so its certificate exists only because npm start
// runs the portal (staff mTLS plus a second factor) with it (PCI DSS v4.0.1 7.2.2).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dev-certs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('development certificates of npm start', () => {
  it("[pentest 8.9] npm start issues one certificate per service it runs, the admin portal's as a loopback server certificate (PCI DSS 7.2.2)", () => {
    const logged: string[] = [];
    const files = ensureDevCertificates(ROOT, dir, (m: string) => logged.push(m));
    for (const name of SERVICES) assert.ok(existsSync(join(dir, name, 'cert.pem')), name);
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => statSync(join(dir, f)).isDirectory() && f !== 'newcerts')
        .sort(),
      [...SERVICES].sort(),
      'nothing else',
    );
    assert.ok(SERVICES.includes('admin-portal'), 'the portal runs, so it has its certificate');
    const portal = new X509Certificate(readFileSync(files.cert('admin-portal')));
    assert.equal(portal.subject, 'CN=admin-portal');
    assert.match(portal.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(portal.verify(new X509Certificate(readFileSync(files.ca)).publicKey), 'issued by the internal CA');
    // A second run re-issues nothing that is still fresh.
    const before = logged.length;
    ensureDevCertificates(ROOT, dir, (m: string) => logged.push(m));
    assert.equal(logged.length, before);
  });
});
