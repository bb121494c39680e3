import assert from 'node:assert/strict';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { request, startTokenizer, type TokenizerHarness } from '../helper.js';

// ASVS 9.2.1 / PCI DSS v4.0.1 8.3.1: mutual TLS is the tokenizer's only authentication path.
// A caller without a certificate, with one from another CA, or with a revoked one never
// completes a TLS connection, so no request reaches any route (not even /healthz).

let h: TokenizerHarness;
let foreign: DevCertificateAuthority;
let handled = 0;

before(async () => {
  h = await startTokenizer({ connectionGuard: { crlCheckIntervalMs: 100 } });
  h.app.server.on('request', () => {
    handled++;
  });
  foreign = await new DevCertificateAuthority(join(h.dir, 'foreign'), 'Foreign CA').init();
  await foreign.issue('api');
  await h.ca.issue('revoked-api');
});
after(async () => {
  await h?.close();
});

async function attempt(agentOptions: https.AgentOptions) {
  const agent = new https.Agent({ keepAlive: false, ...agentOptions });
  try {
    return await request(h.port, agent, 'POST', '/v1/tokenize', {
      subjectId: 'x',
      items: [{ field: 'email', value: 'a@b.co' }],
    });
  } finally {
    agent.destroy();
  }
}

async function assertRefused(agentOptions: https.AgentOptions) {
  const before = handled;
  await assert.rejects(attempt(agentOptions), /alert|certificate|socket hang up|ECONNRESET/i);
  assert.equal(handled, before, 'no request reached the application');
}

describe('[C-012] mTLS at the tokenizer', () => {
  it('serves a caller with a current certificate of the internal CA', async () => {
    const m = await h.ca.material('api');
    const res = await attempt({ ca: m.ca, cert: m.cert, key: m.key });
    assert.equal(res.status, 200);
  });

  it('refuses a caller without a client certificate at the TLS layer', async () => {
    await assertRefused({ ca: (await h.ca.material('api')).ca });
  });

  it('refuses a certificate from another CA, even one naming a known service', async () => {
    const m = await foreign.material('api');
    await assertRefused({ ca: (await h.ca.material('api')).ca, cert: m.cert, key: m.key });
  });

  it('refuses a revoked certificate once revoked, without a restart (CRL reloaded)', async () => {
    const m = await h.ca.material('revoked-api');
    const ok = await attempt({ ca: m.ca, cert: m.cert, key: m.key });
    assert.equal(ok.status, 403, 'before revocation it connects (and the policy does not know it)');
    await h.ca.revoke('revoked-api');
    let refused = false;
    for (let i = 0; i < 30 && !refused; i++) {
      await sleep(100);
      refused = await attempt({ ca: m.ca, cert: m.cert, key: m.key }).then(
        () => false,
        () => true,
      );
    }
    assert.ok(refused, 'the revoked certificate was still accepted after 3 s');
    await assertRefused({ ca: m.ca, cert: m.cert, key: m.key });
    const api = await h.ca.material('api');
    assert.equal((await attempt({ ca: api.ca, cert: api.cert, key: api.key })).status, 200);
  });

  it('has no other way in: identity headers do not make a caller', async () => {
    const m = await h.ca.material('billing');
    const res = await request(
      h.port,
      new https.Agent({ ca: m.ca, cert: m.cert, key: m.key }),
      'POST',
      '/v1/tokenize',
      { subjectId: 'x', items: [{ field: 'email', value: 'a@b.co' }] },
      { 'x-client-cert-cn': 'api', 'x-forwarded-client-cert': 'CN=api', 'x-caller': 'api' },
    );
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'caller_unknown');
  });
});
