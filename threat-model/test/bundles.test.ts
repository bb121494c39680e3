import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  spawnService,
  type TestDatabase,
} from '@shop/shared/test-harness';
// @ts-expect-error: a plain ES module of the build, without type declarations
import { buildBundles } from '../../scripts/build.mjs';
import { request } from '../../vault-tokenizer/test/helper.js';

// The production bundles (what compose.yaml runs) built by scripts/build.mjs into a folder
// outside the repo, then started with nothing but Node: no tsx, no source, no repo
// node_modules. A bundle that cannot find its migrations, policy or native package, or that
// validates its environment differently from the source, fails here.

let out: string;
const databases: TestDatabase[] = [];
const children: ServiceProcess[] = [];

function run(bundle: string, env: Record<string, string>): ServiceProcess {
  const service = spawnService(process.execPath, [join(out, bundle)], {
    cwd: out,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
  });
  children.push(service);
  return service;
}

before(async () => {
  out = await mkdtemp(join(tmpdir(), 'shop-dist-'));
  await buildBundles(out);
});
after(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await Promise.all(databases.map((d) => d.drop()));
  await rm(out, { recursive: true, force: true });
});

describe('npm run build bundles', () => {
  it('emits the bundles compose.yaml runs, with their migrations, policy and native package', () => {
    for (const file of [
      'api/server.js',
      'order-worker/server.js',
      'api/drizzle/meta/_journal.json',
      'vault-tokenizer/server.js',
      'vault-tokenizer/migrations/0001_init.sql',
      'vault-tokenizer/policy/policy.json',
      'node_modules/@node-rs/argon2/package.json',
    ]) {
      assert.ok(existsSync(join(out, file)), `${file} is missing`);
    }
  });

  const badVariables: [string, Record<string, string>, string][] = [
    ['api/server.js', { PORT: 'abc' }, 'PORT'],
    ['order-worker/server.js', { WORKER_DATABASE_URL: 'mysql://nope' }, 'WORKER_DATABASE_URL'],
    [
      'vault-tokenizer/server.js',
      { TOKENIZER_DATABASE_URL: 'postgres://x@127.0.0.1/x', TOKENIZER_PORT: 'abc' },
      'TOKENIZER_PORT',
    ],
  ];
  for (const [bundle, env, variable] of badVariables) {
    it(`${bundle} refuses a bad ${variable} and names it`, async () => {
      const service = run(bundle, env);
      assert.notEqual(await service.exited(), 0);
      assert.match(service.output(), new RegExp(variable));
    });
  }

  it('api/server.js migrates a fresh database and answers /readyz (argon2 loads from dist)', async () => {
    const db = await createTestDatabase('bundle_api');
    databases.push(db);
    const port = await freePort();
    const api = run('api/server.js', {
      DATABASE_URL: db.url,
      DATABASE_MIGRATION_URL: db.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await api.waitForOutput(/REDIS_URL is unset/);
    // Listening follows the warning by the time migrations take: retry refused connections
    // until a deadline (a loaded machine is slow, not broken), failing with the output.
    const deadline = Date.now() + 60_000;
    let ready: Response | undefined;
    while (!ready && Date.now() < deadline && api.child.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ready?.status, 200, api.output());
    const products = await fetch(`http://127.0.0.1:${port}/api/products`);
    assert.deepEqual(
      await products.json(),
      { items: [], total: 0, totalIsEstimate: false, nextCursor: null },
      'the migrated catalogue is readable',
    );
    api.child.kill('SIGTERM');
    assert.equal(await api.exited(), 0);
  });

  it('vault-tokenizer/server.js migrates its database, loads its policy and serves mTLS callers', async () => {
    const db = await createTestDatabase('bundle_tokenizer');
    databases.push(db);
    const ca = await new DevCertificateAuthority(join(out, 'ca')).init();
    await ca.issue('vault-tokenizer', { server: true });
    await ca.issue('api');
    const port = await freePort();
    const tokenizer = run('vault-tokenizer/server.js', {
      TOKENIZER_DATABASE_URL: db.url,
      TOKENIZER_PORT: String(port),
      TOKENIZER_TLS_CA_FILE: ca.caFile,
      TOKENIZER_TLS_CRL_FILE: ca.crlFile,
      TOKENIZER_TLS_CERT_FILE: ca.certFile('vault-tokenizer'),
      TOKENIZER_TLS_KEY_FILE: ca.keyFile('vault-tokenizer'),
      TOKENIZER_LOCAL_KEK_FILE: join(out, 'kek.json'),
      LOG_LEVEL: 'warn',
    });
    await tokenizer.waitForOutput(/mTLS\)/);
    const m = await ca.material('api');
    const agent = new https.Agent({ ca: m.ca, cert: m.cert, key: m.key });
    const made = await request(port, agent, 'POST', '/v1/tokenize', {
      subjectId: 's1',
      items: [{ field: 'email', value: 'bundle@example.net' }],
    });
    agent.destroy();
    assert.equal(made.status, 200);
    tokenizer.child.kill('SIGTERM');
    assert.equal(await tokenizer.exited(), 0);
  });
});
