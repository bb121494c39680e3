import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { guardRevocation, type RevocationGuard } from '../../src/tls/revocation-guard.js';
import { loadStaffTls } from '../../src/tls/server-tls.js';
import { clientCertOf, type PortalHarness, request, startPortal } from '../helper.js';
import { issueExpired, selfSigned, type TestPki } from '../support/pki.js';

// Issue 10, item 1 (PCI DSS v4.0.1 8.3.1, 4.2.1; ASVS 9.2.1): the portal completes a TLS
// connection only with a current, unrevoked certificate of the staff CA. Every refusal below
// happens at the handshake: no request reaches the application, not even /healthz.

let h: PortalHarness;
let dir: string;
let pki: TestPki;
let app: FastifyInstance;
let port: number;
let serverCa: Buffer;
let guard: RevocationGuard;
let handled = 0;

before(async () => {
  h = await startPortal();
  ({ app, port, pki, dir } = h);
  await Promise.all([
    pki.staffCa.issue('ada'),
    pki.staffCa.issue('bob'),
    pki.staffCa.issue('kim'),
    pki.internalCa.issue('api'),
  ]);
  app.server.on('request', () => {
    handled++;
  });
  serverCa = await readFile(pki.internalCa.caFile);
  guard = guardRevocation({
    server: app.server as unknown as tls.Server,
    crlFile: pki.staffCa.crlFile,
    loadContext: () => loadStaffTls(pki.serverTlsFiles),
    intervalMs: 60_000,
    maxConnectionAgeMs: 60_000,
    log: app.log,
  });
  await guard.check();
});
after(async () => {
  guard?.stop();
  await h?.close();
});

async function attempt(options: https.AgentOptions) {
  const agent = new https.Agent({ keepAlive: false, ca: serverCa, ...options });
  try {
    return await request(port, agent, 'GET', '/healthz');
  } finally {
    agent.destroy();
  }
}

async function assertRefusedAtHandshake(options: https.AgentOptions) {
  const before = handled;
  await assert.rejects(attempt(options), /alert|certificate|socket hang up|ECONNRESET|EPROTO/i);
  assert.equal(handled, before, 'no request reached the application');
}

describe('staff mTLS at the portal [C-042]', () => {
  it('serves a staff member with a current certificate of the staff CA', async () => {
    const res = await attempt(await clientCertOf(pki.staffCa, 'ada'));
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
  });

  it('refuses a client without a certificate at the TLS handshake (PCI DSS 8.3.1)', async () => {
    await assertRefusedAtHandshake({});
  });

  it('refuses a certificate of the internal service CA: service identities are not staff', async () => {
    await assertRefusedAtHandshake(await clientCertOf(pki.internalCa, 'api'));
  });

  it('refuses a self-signed certificate', async () => {
    await assertRefusedAtHandshake(await selfSigned(join(dir, 'self'), 'ada').then(readPair));
  });

  it('refuses an expired certificate of the staff CA', async () => {
    await assertRefusedAtHandshake(await issueExpired(pki.staffCa, 'old').then(readPair));
  });

  it('refuses TLS below 1.2 and TLS 1.2 suites without forward secrecy or AEAD (PCI DSS 4.2.1)', async () => {
    const cert = await clientCertOf(pki.staffCa, 'ada');
    // OpenSSL 3 offers TLS 1.0/1.1 only at security level 0: without it the client itself
    // refuses ("no protocols available") and the server's refusal would go untested.
    await assertRefusedAtHandshake({
      ...cert,
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await assertRefusedAtHandshake({
      ...cert,
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:AES128-GCM-SHA256',
    });
    const tls12 = await attempt({ ...cert, maxVersion: 'TLSv1.2' });
    assert.equal(tls12.status, 200, 'TLS 1.2 with a modern suite is served');
  });

  it('refuses a revoked certificate once the CRL file changes, without a restart', async () => {
    const cert = await clientCertOf(pki.staffCa, 'bob');
    assert.equal((await attempt(cert)).status, 200);
    await pki.staffCa.revoke('bob');
    await guard.check();
    await assertRefusedAtHandshake(cert);
    assert.equal((await attempt(await clientCertOf(pki.staffCa, 'ada'))).status, 200, 'others still served');
  });

  it('[pentest 8.5] closes an open keep-alive connection of a certificate as soon as it is revoked', async () => {
    const cert = await clientCertOf(pki.staffCa, 'kim');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: serverCa, ...cert });
    try {
      assert.equal((await request(port, agent, 'GET', '/healthz')).status, 200);
      assert.ok(guard.openConnections >= 1, 'the connection is tracked');
      const [socket] = Object.values(agent.freeSockets).flat();
      assert.ok(socket, 'the keep-alive connection is open');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await pki.staffCa.revoke('kim');
      await guard.check();
      assert.equal(await Promise.race([closed.then(() => 'closed'), sleep(2000).then(() => 'open')]), 'closed');
      const before = handled;
      await assert.rejects(request(port, agent, 'GET', '/healthz'));
      assert.equal(handled, before, 'the next request did not reach the application');
    } finally {
      agent.destroy();
    }
  });
});

describe('connection maximum age', () => {
  it('closes a connection older than the maximum age even while it stays busy', async () => {
    const short = guardRevocation({
      server: app.server as unknown as tls.Server,
      crlFile: pki.staffCa.crlFile,
      loadContext: () => loadStaffTls(pki.serverTlsFiles),
      intervalMs: 60_000,
      maxConnectionAgeMs: 0,
      log: app.log,
    });
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: serverCa,
      ...(await clientCertOf(pki.staffCa, 'ada')),
    });
    try {
      assert.equal((await request(port, agent, 'GET', '/healthz')).status, 200);
      const [socket] = Object.values(agent.freeSockets).flat();
      assert.ok(socket);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await short.check();
      assert.equal(await Promise.race([closed.then(() => 'closed'), sleep(2000).then(() => 'open')]), 'closed');
    } finally {
      short.stop();
      agent.destroy();
    }
  });
});

async function readPair(p: { cert: string; key: string }) {
  return { cert: await readFile(p.cert), key: await readFile(p.key) };
}
