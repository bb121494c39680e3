import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { createTestDatabase, freePort, type TestDatabase } from '@shop/shared/test-harness';
import { loadTokenizerConfig } from '../src/config.js';
import { request } from './helper.js';

// The real entry point (src/server.ts) as operators run it: config from the environment,
// migrations at start, mTLS listener, graceful stop on SIGTERM.

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
let dir: string;
let ca: DevCertificateAuthority;
let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

function start(env: Record<string, string>): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.stdout?.on('data', (c) => {
    output += c;
  });
  p.stderr?.on('data', (c) => {
    output += c;
  });
  return p;
}

function exit(p: ChildProcess): Promise<number | null> {
  return new Promise((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenizer-server-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  await ca.issue('vault-tokenizer', { server: true });
  await ca.issue('api');
  db = await createTestDatabase('tokenizer_server');
});
after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exit(child);
  }
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('src/server.ts', () => {
  it('refuses to start without TOKENIZER_DATABASE_URL, naming it', async () => {
    assert.throws(() => loadTokenizerConfig({}), /TOKENIZER_DATABASE_URL/);
    const p = start({});
    assert.equal(await exit(p), 1);
    assert.match(output, /TOKENIZER_DATABASE_URL/);
  });

  it('refuses to start without its certificate, naming the file', async () => {
    output = '';
    const p = start({
      TOKENIZER_DATABASE_URL: db.url,
      TOKENIZER_TLS_CA_FILE: ca.caFile,
      TOKENIZER_TLS_CRL_FILE: ca.crlFile,
      TOKENIZER_TLS_CERT_FILE: join(dir, 'missing.pem'),
      TOKENIZER_TLS_KEY_FILE: ca.keyFile('vault-tokenizer'),
    });
    assert.equal(await exit(p), 1);
    assert.match(output, /missing\.pem/);
  });

  it('migrates, serves mTLS callers, prints the not-for-production key warning, and stops on SIGTERM', async () => {
    output = '';
    const port = await freePort();
    child = start({
      TOKENIZER_DATABASE_URL: db.url,
      TOKENIZER_PORT: String(port),
      TOKENIZER_TLS_CA_FILE: ca.caFile,
      TOKENIZER_TLS_CRL_FILE: ca.crlFile,
      TOKENIZER_TLS_CERT_FILE: ca.certFile('vault-tokenizer'),
      TOKENIZER_TLS_KEY_FILE: ca.keyFile('vault-tokenizer'),
      TOKENIZER_LOCAL_KEK_FILE: join(dir, 'kek.json'),
    });
    // Until it says it listens or it exits: a start slowed by a busy machine is not a failure.
    const started = child;
    await new Promise<void>((resolve) => {
      const seen = () => {
        if (!output.includes('mTLS only')) return;
        started.stdout?.off('data', seen);
        resolve();
      };
      started.stdout?.on('data', seen);
      started.once('exit', () => resolve());
      seen();
    });
    assert.equal(started.exitCode, null, `the tokenizer exited: ${output}`);
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
    child.kill('SIGTERM');
    assert.equal(await exit(child), 0);
    assert.ok(!output.includes('server@example.net'), 'the value was logged');
    // One line per request (ours, on response), through the log controller: no Fastify
    // 'incoming request' lines, and no deprecation warning at start.
    assert.match(output, /request completed/);
    assert.ok(!output.includes('incoming request'), 'Fastify request logging is on');
    assert.ok(!/FSTDEP|DeprecationWarning/.test(output), output.match(/.*(FSTDEP|Deprecation).*/)?.[0]);
  });
});
