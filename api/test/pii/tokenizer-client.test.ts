import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { DevCertificateAuthority, mtlsServerOptions, peerServiceName } from '@shop/shared/mtls';
import { PiiUnavailableError } from '../../src/pii/pii-client.js';
import { PiiRejectedError, TokenizerClient } from '../../src/pii/tokenizer-client.js';

// The api's side of the tokenizer link (ARCHITECTURE "Service identity"; PCI DSS v4.0.1 4.2.1, 8.3):
// it authenticates with its own certificate, trusts only a server certificate naming
// vault-tokenizer from the internal CA, and turns every failure into a clean 503 error.
// The tokenizer here is a small mTLS double, so this file tests the client alone.

type Mode = 'ok' | '503' | '500' | '403' | '400' | 'hang' | 'short';
let mode: Mode = 'ok';
let dir: string;
let ca: DevCertificateAuthority;
const servers: https.Server[] = [];
let port: number;
let connections = 0;
const seen: { caller: string | undefined; path: string | undefined; body: string }[] = [];

async function startServer(name: string, authority: DevCertificateAuthority, clientCa: Buffer): Promise<number> {
  await authority.issue(name, { server: true });
  const material = await authority.material(name);
  const server = https.createServer({ ...mtlsServerOptions({ ...material, ca: clientCa }) }, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ caller: peerServiceName(req.socket as TLSSocket), path: req.url, body });
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      if (mode === 'hang') return;
      if (mode === '503') return json(503, { error: { code: 'tokenizer_keys_unavailable', message: 'x' } });
      if (mode === '500') return json(500, { error: { code: 'internal_error', message: 'stack at line 3' } });
      if (mode === '403') return json(403, { error: { code: 'operation_denied', message: 'x' } });
      if (mode === '400') return json(400, { error: { code: 'invalid_value', message: 'Item 0' } });
      const parsed = JSON.parse(body);
      if (req.url === '/v1/blind-index') return json(200, { field: parsed.field, index: 'idx_abc' });
      const tokens = parsed.items.map((_: unknown, i: number) => `tok_${String(i).padStart(32, 'A')}`);
      return json(200, { tokens: mode === 'short' ? tokens.slice(1) : tokens });
    });
  });
  server.on('secureConnection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

async function client(p = port, timeoutMs = 500) {
  const m = await ca.material('api');
  return new TokenizerClient({ url: `https://127.0.0.1:${p}`, tls: m, timeoutMs });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenizer-client-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  await ca.issue('api');
  port = await startServer('vault-tokenizer', ca, (await ca.material('api')).ca);
});
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await rm(dir, { recursive: true, force: true });
});

describe('TokenizerClient', () => {
  it('tokenizes and blind-indexes over mTLS as the api, reusing one connection', async () => {
    mode = 'ok';
    const c = await client();
    const before = connections;
    const tokens = await c.tokenize('user-1', [
      { field: 'email', value: 'ada@example.org' },
      { field: 'name', value: 'Ada' },
    ]);
    assert.equal(tokens.length, 2);
    for (let i = 0; i < 4; i++) await c.blindIndex('email', 'ada@example.org');
    assert.equal(await c.blindIndex('email', 'ada@example.org'), 'idx_abc');
    assert.equal(connections - before, 1, 'one TLS connection for six calls (keep-alive)');
    assert.equal(seen.at(-1)?.caller, 'api');
    assert.deepEqual(JSON.parse(seen.at(-6)?.body ?? '{}'), {
      subjectId: 'user-1',
      items: [
        { field: 'email', value: 'ada@example.org' },
        { field: 'name', value: 'Ada' },
      ],
    });
    c.close();
  });

  for (const [m, label] of [
    ['503', 'a 503 (Vault sealed)'],
    ['500', 'a 500, without passing on its message'],
    ['403', 'a policy refusal (403)'],
    ['short', 'an answer without one token per item'],
  ] as const) {
    it(`maps ${label} to PiiUnavailableError`, async () => {
      mode = m;
      const c = await client();
      const err = await c.tokenize('u', [{ field: 'email', value: 'ada@example.org' }]).catch((e) => e);
      assert.ok(err instanceof PiiUnavailableError, String(err));
      assert.equal(err.statusCode, 503);
      assert.ok(!String(err.message).includes('stack'));
      assert.ok(!String(err.message).includes('ada@'));
      c.close();
    });
  }

  it('maps a refused value (400) to PiiRejectedError carrying the tokenizer code, not the value', async () => {
    mode = '400';
    const c = await client();
    const err = await c.tokenize('u', [{ field: 'email', value: 'not-an-email' }]).catch((e) => e);
    assert.ok(err instanceof PiiRejectedError);
    assert.equal(err.statusCode, 400);
    assert.equal(err.tokenizerCode, 'invalid_value');
    assert.ok(!err.message.includes('not-an-email'));
    c.close();
  });

  it('gives up at its deadline when the tokenizer hangs', async () => {
    mode = 'hang';
    const c = await client(port, 300);
    const started = Date.now();
    await assert.rejects(c.blindIndex('email', 'a@b.co'), PiiUnavailableError);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
    c.close();
  });

  it('maps a refused connection to PiiUnavailableError', async () => {
    const closed = https.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const c = await client(p);
    await assert.rejects(c.blindIndex('email', 'a@b.co'), PiiUnavailableError);
    c.close();
  });

  it('refuses a server whose certificate names another service, sending it nothing', async () => {
    mode = 'ok';
    const imposter = await startServer('not-the-tokenizer', ca, (await ca.material('api')).ca);
    const before = seen.length;
    const c = await client(imposter);
    await assert.rejects(c.tokenize('u', [{ field: 'email', value: 'ada@example.org' }]), PiiUnavailableError);
    assert.equal(seen.length, before, 'no request (and no value) reached the imposter');
    c.close();
  });

  it('refuses a server certified by another CA, even one named vault-tokenizer', async () => {
    const foreign = await new DevCertificateAuthority(join(dir, 'foreign'), 'Foreign CA').init();
    const imposter = await startServer('vault-tokenizer', foreign, (await ca.material('api')).ca);
    const before = seen.length;
    const c = await client(imposter);
    await assert.rejects(c.tokenize('u', [{ field: 'email', value: 'ada@example.org' }]), PiiUnavailableError);
    assert.equal(seen.length, before);
    c.close();
  });

  it('refuses a plain http URL', () => {
    assert.throws(
      () =>
        new TokenizerClient({
          url: 'http://127.0.0.1:1',
          tls: { ca: Buffer.from(''), cert: Buffer.from(''), key: Buffer.from('') },
        }),
      /https/,
    );
  });
});
