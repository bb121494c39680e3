import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevCertificateAuthority } from '../src/mtls.js';
import { CrlError, revokedCertificates } from '../src/mtls-connections.js';

// The CRL reading behind MtlsConnectionGuard (pentest finding 8.5, PCI DSS v4.0.1 8.2.5): an
// open connection is closed when the CRL names its certificate, so the CRL's entries must be
// attributed to the CA that signed it, and a CRL that CA did not sign is never believed.

let dir: string;
let ca: DevCertificateAuthority;
let foreign: DevCertificateAuthority;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-connections-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  foreign = await new DevCertificateAuthority(join(dir, 'foreign'), 'Foreign CA').init();
  await ca.issue('api');
  await ca.issue('order-worker');
  await foreign.issue('order-worker');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function keyOf(certPem: Buffer, caPem: Buffer): string {
  const serial = new X509Certificate(certPem).serialNumber.toUpperCase().replace(/^0+/, '');
  return `${new X509Certificate(caPem).fingerprint256}/${serial}`;
}

describe('revokedCertificates', () => {
  it('lists a revoked certificate by issuer fingerprint and serial, and not the others of its CA (PCI DSS 8.2.5)', async () => {
    const caPem = await readFile(ca.caFile);
    assert.equal(revokedCertificates(await readFile(ca.crlFile), caPem).size, 0, 'a fresh CRL revokes nothing');
    const api = await readFile(ca.certFile('api'));
    await ca.revoke('api');
    const revoked = revokedCertificates(await readFile(ca.crlFile), caPem);
    assert.deepEqual([...revoked], [keyOf(api, caPem)]);
    assert.ok(!revoked.has(keyOf(await readFile(ca.certFile('order-worker')), caPem)));
  });

  it('refuses a CRL that the CA file did not sign, or whose signature was altered', async () => {
    const caPem = await readFile(ca.caFile);
    await foreign.revoke('order-worker');
    assert.throws(() => revokedCertificates(readFileSync(foreign.crlFile), caPem), CrlError);
    const pem = (await readFile(ca.crlFile, 'utf8')).trim();
    const der = Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0xff; // inside the signature
    const tampered = `-----BEGIN X509 CRL-----\n${der.toString('base64')}\n-----END X509 CRL-----\n`;
    assert.throws(() => revokedCertificates(tampered, caPem), CrlError);
    assert.throws(() => revokedCertificates('not a crl', caPem), CrlError);
  });
});
