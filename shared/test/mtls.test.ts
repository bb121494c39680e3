import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  DevCertificateAuthority,
  expectServiceName,
  mtlsServerOptions,
  peerServiceName,
  serviceNameOf,
  type TlsMaterial,
} from '../src/mtls.js';

// Pins the mTLS building blocks every internal service relies on (PCI DSS v4.0.1 8.3.1, ASVS 9.2.1):
// only a current certificate of the service's own CA completes a handshake, and the
// identity is the certificate's service name.

let dir: string;
let ca: DevCertificateAuthority;
let foreign: DevCertificateAuthority;
let server: https.Server;
let port: number;
let reloadCrl: () => Promise<void>;
let handshakeRefusals: string[] = [];
let handled = 0;

const REFUSED = /alert|certificate|socket hang up|ECONNRESET/i;

/**
 * The call fails, the server dropped the TLS connection, and no HTTP request reached the
 * handler. (Node verifies a client certificate chain after the TLS 1.3 handshake and
 * destroys the socket, so the server-side error does not always carry OpenSSL's reason.)
 */
async function assertRefusedAtTls(attempt: Promise<unknown>) {
  handshakeRefusals = [];
  const before = handled;
  await assert.rejects(attempt, REFUSED);
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(handshakeRefusals.length >= 1, 'the server dropped the TLS connection');
  assert.equal(handled, before, 'no request reached the application');
}

function call(material: Partial<TlsMaterial> & { ca: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: material.ca,
        cert: material.cert,
        key: material.key,
        agent: false,
        checkServerIdentity: expectServiceName('test-server'),
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtls-test-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  foreign = await new DevCertificateAuthority(join(dir, 'foreign'), 'Foreign CA').init();
  await ca.issue('test-server', { server: true });
  await ca.issue('api');
  await ca.issue('revoked-one');
  await foreign.issue('api');
  const material = await ca.material('test-server');
  server = https.createServer(mtlsServerOptions(material), (req, res) => {
    handled++;
    res.end(peerServiceName(req.socket as TLSSocket) ?? 'none');
  });
  server.on('tlsClientError', (err) => handshakeRefusals.push(err.message));
  reloadCrl = async () => server.setSecureContext(mtlsServerOptions(await ca.material('test-server')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  if (server) await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('[C-012] mTLS between services', () => {
  it('names the caller by the service name in its certificate', async () => {
    const res = await call(await ca.material('api'));
    assert.equal(res.body, 'api');
  });

  it('refuses a caller without a certificate at the handshake', async () => {
    const { ca: caPem } = await ca.material('api');
    await assertRefusedAtTls(call({ ca: caPem }));
    assert.match(handshakeRefusals[0] ?? '', /peer did not return a certificate/);
  });

  it('refuses a certificate issued by another CA, even with the same service name', async () => {
    const material = await foreign.material('api');
    await assertRefusedAtTls(call({ ...material, ca: (await ca.material('api')).ca }));
  });

  it('refuses a revoked certificate once the CRL is reloaded', async () => {
    const material = await ca.material('revoked-one');
    assert.equal((await call(material)).body, 'revoked-one');
    await ca.revoke('revoked-one');
    await reloadCrl();
    await assertRefusedAtTls(call(material));
    assert.equal((await call(await ca.material('api'))).body, 'api', 'other certificates still work');
  });

  it('refuses a server certificate that names another service', async () => {
    const client = await ca.material('api');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, ...client, agent: false, checkServerIdentity: expectServiceName('other') },
          resolve,
        );
        req.on('error', reject);
        req.end();
      }),
      /does not name the service other/,
    );
  });

  it('gives no identity to a certificate whose CN is not among its SAN names or is malformed', () => {
    assert.equal(serviceNameOf({ subject: { CN: 'api' } as never, subjectaltname: 'DNS:api' }), 'api');
    assert.equal(serviceNameOf({ subject: { CN: 'api' } as never, subjectaltname: 'DNS:order-worker' }), undefined);
    assert.equal(serviceNameOf({ subject: { CN: 'API; drop' } as never, subjectaltname: '' }), undefined);
    assert.equal(serviceNameOf(undefined), undefined);
  });
});
