import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  spawnService,
  type TestDatabase,
} from '@shop/shared/test-harness';
import { loadTokenizerConfig } from '../src/config.js';
import { request } from './helper.js';

// The real entry point (src/server.ts) as operators run it: config from the environment,
// migrations at start, mTLS listener, graceful stop on SIGTERM.

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
let dir: string;
let ca: DevCertificateAuthority;
let db: TestDatabase;
let child: ServiceProcess | undefined;

function start(env: Record<string, string>): ServiceProcess {
  child = spawnService(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
  });
  return child;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenizer-server-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  await ca.issue('vault-tokenizer', { server: true });
  await ca.issue('api');
  db = await createTestDatabase('tokenizer_server');
});
after(async () => {
  if (child && child.child.exitCode === null) {
    child.child.kill('SIGKILL');
    await child.exited();
  }
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('src/server.ts', () => {
  it('refuses to start without TOKENIZER_DATABASE_URL, naming it', async () => {
    assert.throws(() => loadTokenizerConfig({}), /TOKENIZER_DATABASE_URL/);
    const p = start({});
    assert.equal(await p.exited(), 1);
    assert.match(p.output(), /TOKENIZER_DATABASE_URL/);
  });

  it('refuses to start without its certificate, naming the file', async () => {
    const p = start({
      TOKENIZER_DATABASE_URL: db.url,
      TOKENIZER_TLS_CA_FILE: ca.caFile,
      TOKENIZER_TLS_CRL_FILE: ca.crlFile,
      TOKENIZER_TLS_CERT_FILE: join(dir, 'missing.pem'),
      TOKENIZER_TLS_KEY_FILE: ca.keyFile('vault-tokenizer'),
    });
    assert.equal(await p.exited(), 1);
    assert.match(p.output(), /missing\.pem/);
  });

  it('migrates, serves mTLS callers, prints the not-for-production key warning, and stops on SIGTERM', async () => {
    const port = await freePort();
    const p = start({
      TOKENIZER_DATABASE_URL: db.url,
      TOKENIZER_PORT: String(port),
      TOKENIZER_TLS_CA_FILE: ca.caFile,
      TOKENIZER_TLS_CRL_FILE: ca.crlFile,
      TOKENIZER_TLS_CERT_FILE: ca.certFile('vault-tokenizer'),
      TOKENIZER_TLS_KEY_FILE: ca.keyFile('vault-tokenizer'),
      TOKENIZER_LOCAL_KEK_FILE: join(dir, 'kek.json'),
    });
    await p.waitForOutput(/mTLS only/);
    const output = p.output();
    assert.match(output, /NOT FOR PRODUCTION/);
    const m = await ca.material('api');
    const agent = new https.Agent({ ca: m.ca, cert: m.cert, key: m.key });
    const ready = await request(port, agent, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    const made = await request(port, agent, 'POST', '/v1/tokenize', {
      subjectId: 's1',
      items: [{ field: 'email', value: 'server@example.net' }],
    });
    assert.equal(made.status, 200);
    agent.destroy();
    const noCert = new https.Agent({ ca: m.ca });
    await assert.rejects(request(port, noCert, 'GET', '/healthz'));
    noCert.destroy();
    p.child.kill('SIGTERM');
    assert.equal(await p.exited(), 0);
    const logged = p.output();
    assert.ok(!logged.includes('server@example.net'), 'the value was logged');
    // One line per request (ours, on response), through the log controller: no Fastify
    // 'incoming request' lines, and no deprecation warning at start.
    assert.match(logged, /request completed/);
    assert.ok(!logged.includes('incoming request'), 'Fastify request logging is on');
    assert.ok(!/FSTDEP|DeprecationWarning/.test(logged), logged.match(/.*(FSTDEP|Deprecation).*/)?.[0]);
  });
});
