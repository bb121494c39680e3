import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@shop/shared/config';
import { CuttableProxy, waitFor } from '@shop/shared/test-harness';
import { createKeyProvider, KeyProviderConfigSchema } from '../../src/keys/index.js';
import { KeyProviderUnavailableError } from '../../src/keys/key-provider.js';
import { VaultKeyProvider } from '../../src/keys/vault-key-provider.js';
import { VaultDouble } from '../vault-double/vault-double.js';
import { keyProviderContract } from './key-provider-contract.js';
import { openVaultTarget, realVaultConfigured, type VaultTarget } from './vault-target.js';

const mode = realVaultConfigured() ? 'real Vault' : 'Vault double';

function unavailable(reason: KeyProviderUnavailableError['reason']) {
  return (err: unknown) => {
    assert.ok(err instanceof KeyProviderUnavailableError, `expected KeyProviderUnavailableError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOGIN = '/v1/auth/approle/login';
const RENEW = '/v1/auth/token/renew-self';

keyProviderContract(`VaultKeyProvider (${mode})`, async () => {
  const target = await openVaultTarget();
  return { provider: target.provider(), prefix: 'vault', close: () => target.close() };
});

describe(`VaultKeyProvider against ${mode}: authentication`, () => {
  let target: VaultTarget;
  before(async () => {
    target = await openVaultTarget();
  });
  after(() => target.close());

  it('sends the AppRole token on the first call after login, never a 403 for a token left unset (node-vault#166)', async () => {
    const provider = target.provider();
    const from = target.proxy.requests.length;
    const key = await provider.generateKey();
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
    const seen = target.proxy.requests.slice(from);
    assert.deepEqual(
      seen.map((r) => [r.path, r.hadToken, r.status]),
      [
        [LOGIN, false, 200],
        [`/v1/${target.mount}/datakey/plaintext/${target.key}`, true, 200],
        [`/v1/${target.mount}/decrypt/${target.key}`, true, 200],
      ],
    );
  });

  it('ignores VAULT_TOKEN and VAULT_PREFIX from the environment: only its AppRole token is used', async () => {
    const saved = { token: process.env.VAULT_TOKEN, prefix: process.env.VAULT_PREFIX };
    process.env.VAULT_TOKEN = 'ambient-token-from-the-environment';
    process.env.VAULT_PREFIX = '/elsewhere';
    let provider: VaultKeyProvider;
    try {
      provider = target.provider();
    } finally {
      for (const [name, value] of [
        ['VAULT_TOKEN', saved.token],
        ['VAULT_PREFIX', saved.prefix],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const from = target.proxy.requests.length;
    await provider.generateKey();
    const [login, datakey] = target.proxy.requests.slice(from);
    assert.equal(login?.path, LOGIN);
    assert.equal(login?.hadToken, false);
    assert.equal(datakey?.path, `/v1/${target.mount}/datakey/plaintext/${target.key}`);
  });

  it('answers forbidden for a transit key its policy does not grant (403 permission denied), after one fresh login at most', async () => {
    const provider = target.provider({ key: 'a-key-the-tokenizer-policy-does-not-grant' });
    const from = target.proxy.requests.length;
    await assert.rejects(provider.generateKey(), unavailable('forbidden'));
    const seen = target.proxy.requests.slice(from);
    assert.ok(seen.filter((r) => r.path === LOGIN).length <= 2);
    assert.ok(seen.filter((r) => r.status === 403).length <= 2, 'a 403 is not retried with backoff');
  });

  it('answers forbidden when the policy is withdrawn while running, and recovers when it is restored', async () => {
    const provider = target.provider();
    const key = await provider.generateKey();
    target.deny();
    try {
      await assert.rejects(provider.unwrapKey(key), unavailable('forbidden'));
      await assert.rejects(provider.generateKey(), unavailable('forbidden'));
    } finally {
      target.allow();
    }
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
  });

  it('answers forbidden for a wrong secret id, and the error carries neither the secret id nor a token', async () => {
    const wrong = 'wrong-secret-id-0123456789abcdef';
    const provider = target.provider({ secretId: wrong });
    const err = await provider.generateKey().then(
      () => assert.fail('login with a wrong secret id succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KeyProviderUnavailableError);
    assert.equal(err.reason, 'forbidden');
    const everything = `${err.message} ${err.stack} ${JSON.stringify(err)} ${JSON.stringify(Object.entries(err))}`;
    assert.ok(!everything.includes(wrong), 'secret id leaked into the error');
    assert.ok(!everything.includes(target.secretId), 'configured secret id leaked into the error');
    assert.ok(!/hvs\.|X-Vault-Token/i.test(everything), 'token leaked into the error');
  });

  it('makes one AppRole login for many concurrent first calls, not one each', async () => {
    const provider = target.provider();
    const from = target.proxy.requests.length;
    const keys = await Promise.all(Array.from({ length: 20 }, () => provider.generateKey()));
    assert.equal(new Set(keys.map((k) => k.ciphertext)).size, 20);
    assert.equal(target.proxy.requests.slice(from).filter((r) => r.path === LOGIN).length, 1);
  });

  it('reports unavailable health when its AppRole login is refused, and refuses calls once closed', async () => {
    const refused = target.provider({ secretId: 'not-the-secret-id' });
    const health = await refused.health();
    assert.equal(health.status, 'unavailable');
    assert.match('reason' in health ? health.reason : '', /approle login/);
    const provider = target.provider();
    const key = await provider.generateKey();
    await provider.close();
    await assert.rejects(provider.unwrapKey(key), unavailable('unavailable'));
  });

  it('reads the secret id from VAULT_SECRET_ID_FILE at each login, and names the file when it is empty', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vault-secret-id-'));
    try {
      const file = path.join(dir, 'secret-id');
      await fs.writeFile(file, `${target.secretId}\n`, { mode: 0o600 });
      const provider = new VaultKeyProvider({
        addr: target.proxy.url,
        roleId: target.roleId,
        secretIdFile: file,
        mount: target.mount,
        key: target.key,
        ...(target.namespace ? { namespace: target.namespace } : {}),
      });
      const key = await provider.generateKey();
      assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
      await provider.close();
      await fs.writeFile(file, '');
      const next = new VaultKeyProvider({
        addr: target.proxy.url,
        roleId: target.roleId,
        secretIdFile: file,
        mount: target.mount,
        key: target.key,
      });
      await assert.rejects(next.generateKey(), (e: unknown) => {
        assert.ok(e instanceof KeyProviderUnavailableError);
        assert.match(e.message, /VAULT_SECRET_ID_FILE/);
        return true;
      });
      await next.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe(`VaultKeyProvider against ${mode}: token lifetime`, () => {
  let target: VaultTarget;
  before(async () => {
    // The double's role: token TTL 2 s, max TTL 5.5 s, so renewal and re-login happen within the
    // test, and the third renewal (at about 4 s) is capped to 1 s by the max TTL.
    target = await openVaultTarget({ tokenTtl: 2, tokenMaxTtl: 5.5 });
    if (target.tokenTtl > 10) {
      throw new Error(
        `the role's token TTL is ${target.tokenTtl}s: these tests need a short-lived test role, ` +
          'e.g. TOKEN_TTL=2s TOKEN_MAX_TTL=5s vault/setup-approle.sh (see vault/README.md)',
      );
    }
  });
  after(() => target.close());

  it('renews its token in the background before the TTL ends, even while idle', async () => {
    const provider = target.provider();
    const from = target.proxy.requests.length;
    await provider.generateKey();
    const login = target.proxy.requests.slice(from).find((r) => r.path === LOGIN);
    assert.ok(login);
    // Waits for the renewal to be answered (not a fixed sleep that a busy machine can overrun);
    // when it was sent is the assertion below.
    const renewals = await waitFor(
      'a renew-self answered',
      () => target.proxy.requests.slice(from).filter((r) => r.path === RENEW),
      (r) => (r[0]?.status ?? 0) > 0,
      target.tokenTtl * 1000 * 3,
      20,
    );
    assert.ok((renewals[0]?.at ?? 0) < login.at + target.tokenTtl * 1000, 'renewed after the token expired');
    assert.equal(renewals[0]?.hadToken, true);
    assert.equal(renewals[0]?.status, 200);
    await sleep(target.tokenTtl * 1000 * 0.5);
    // Past the first lease: the call still works without a new login, because the token was renewed.
    const key = await provider.generateKey();
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
    assert.equal(target.proxy.requests.slice(from).filter((r) => r.path === LOGIN).length, 1);
    // Its background refresh would otherwise show up in the next test's request log.
    await provider.close();
  });

  it('logs in again before the max TTL, so calls never meet an expired token', async () => {
    const logged: string[] = [];
    const provider = target.provider({ log: (message) => logged.push(message) });
    const from = target.proxy.requests.length;
    const key = await provider.generateKey();
    const deadline = Date.now() + 15_000;
    let logins = target.proxy.requests.slice(from).filter((r) => r.path === LOGIN);
    while (logins.length < 2 && Date.now() < deadline) {
      await sleep(250);
      assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
      logins = target.proxy.requests.slice(from).filter((r) => r.path === LOGIN);
    }
    assert.equal(logins.length, 2, 'no second AppRole login happened');
    const seen = target.proxy.requests.slice(from);
    assert.ok(
      seen.some((r) => r.path === RENEW && r.status === 200),
      'the token was not renewed first',
    );
    assert.deepEqual(
      seen.filter((r) => r.status === 403),
      [],
      'a call met an expired token',
    );
    if (target.double) {
      // Once Vault capped a renewal at the max TTL, the next refresh is a login, not another renewal.
      const own = target.double.requests.filter((r) => r.at >= (logins[0]?.at ?? 0) && r.at <= (logins[1]?.at ?? 0));
      const capped = own.findIndex((r) => r.path === RENEW && (r.leaseGranted ?? 0) < target.tokenTtl);
      assert.ok(capped >= 0, 'Vault never capped a renewal: the test did not reach the max TTL');
      assert.deepEqual(
        own.slice(capped + 1).filter((r) => r.path === RENEW),
        [],
        'renewed again after Vault capped the lease at the max TTL',
      );
      assert.ok(
        (logins[1]?.at ?? 0) > (logins[0]?.at ?? 0) + 3000,
        'logged in again long before the max TTL: renewal was not used',
      );
      assert.ok(
        (logins[1]?.at ?? 0) < (logins[0]?.at ?? 0) + 5500,
        'the second login came after the first token reached its max TTL',
      );
    }
    // Its lifecycle lines say what happened, never with a secret id or a token in them.
    assert.ok(logged.some((m) => /approle login/.test(m)) && logged.some((m) => /renewed/.test(m)));
    for (const line of logged) {
      assert.ok(!line.includes(target.secretId), line);
      assert.doesNotMatch(line, /hvs\.|s\.[A-Za-z0-9]{20}/, line);
    }
    await provider.close();
  });
});

describe(`VaultKeyProvider against ${mode}: faults`, () => {
  let target: VaultTarget;
  before(async () => {
    target = await openVaultTarget();
  });
  after(() => target.close());
  const datakeyPath = () => new RegExp(`^/v1/${target.mount}/datakey/plaintext/`);

  it('retries a transient 500/502/429 with growing delays and then succeeds', async () => {
    const provider = target.provider();
    await provider.health();
    target.proxy.inject(
      { path: datakeyPath(), status: 500, body: { errors: ['internal error'] } },
      { path: datakeyPath(), status: 502, body: { errors: ['upstream error'] } },
      { path: datakeyPath(), status: 429, body: { errors: ['request path "x": rate limit quota exceeded'] } },
    );
    const from = target.proxy.requests.length;
    const key = await provider.generateKey();
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
    const attempts = target.proxy.requests.slice(from).filter((r) => datakeyPath().test(r.path));
    assert.deepEqual(
      attempts.map((r) => r.status),
      [500, 502, 429, 200],
    );
    const gaps = attempts.slice(1).map((r, i) => r.at - (attempts[i]?.at ?? 0));
    // Full jitter over 20, 40, 80 ms: each wait is at least half its step.
    assert.ok(gaps[0] !== undefined && gaps[0] >= 9, `first backoff ${gaps[0]}ms`);
    assert.ok(gaps[2] !== undefined && gaps[2] >= 39, `third backoff ${gaps[2]}ms`);
  });

  it('gives up after its retry budget with unavailable, never answering from anywhere else', async () => {
    const provider = target.provider();
    await provider.health();
    target.proxy.inject({ path: datakeyPath(), status: 500, body: { errors: ['internal error'] }, times: 100 });
    const from = target.proxy.requests.length;
    try {
      await assert.rejects(provider.generateKey(), unavailable('unavailable'));
    } finally {
      target.proxy.clear();
    }
    assert.equal(target.proxy.requests.slice(from).filter((r) => datakeyPath().test(r.path)).length, 4);
  });

  it('when Vault is sealed: answers sealed at once, without retries and without any fallback', async () => {
    const provider = target.provider();
    const key = await provider.generateKey();
    target.seal();
    const from = target.proxy.requests.length;
    try {
      await assert.rejects(provider.generateKey(), unavailable('sealed'));
      await assert.rejects(provider.unwrapKey(key), unavailable('sealed'));
      await assert.rejects(provider.rewrapKey(key), unavailable('sealed'));
      assert.deepEqual(await provider.health(), { status: 'sealed', reason: 'vault is sealed' });
    } finally {
      target.unseal();
    }
    const transitCalls = target.proxy.requests.slice(from).filter((r) => r.path.startsWith(`/v1/${target.mount}/`));
    assert.equal(transitCalls.length, 3, 'a sealed answer was retried');
    assert.ok(transitCalls.every((r) => r.status === 503));
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
  });

  it('when Vault is down: answers unavailable, health says so, and it recovers when Vault is back', async () => {
    const proxyPort = Number(new URL(target.proxy.url).port);
    const cut = new CuttableProxy('127.0.0.1', proxyPort);
    const port = await cut.start();
    try {
      const provider = target.provider({ addr: `http://127.0.0.1:${port}` });
      const key = await provider.generateKey();
      await cut.cut();
      await assert.rejects(provider.unwrapKey(key), unavailable('unavailable'));
      assert.equal((await provider.health()).status, 'unavailable');
      await cut.restore();
      assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
      assert.deepEqual(await provider.health(), { status: 'ok' });
    } finally {
      await cut.stop();
    }
  });

  it('treats a Vault that accepts connections but never answers as unavailable within its budget', async () => {
    const hung = new Set<net.Socket>();
    const server = net.createServer((socket) => hung.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = target.provider({
        addr: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        requestTimeoutMs: 150,
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10, budgetMs: 1000 },
      });
      const started = Date.now();
      await assert.rejects(provider.generateKey(), unavailable('unavailable'));
      assert.ok(Date.now() - started < 2000);
      assert.equal((await provider.health()).status, 'unavailable');
    } finally {
      for (const socket of hung) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('VaultKeyProvider against the Vault double: secret id replaced while running', () => {
  it('logs in with the new secret id from VAULT_SECRET_ID_FILE after the old one was destroyed, without a restart', async () => {
    const double = new VaultDouble();
    await double.start();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vault-secret-id-rotation-'));
    const file = path.join(dir, 'secret-id');
    try {
      await fs.writeFile(file, double.secretId, { mode: 0o600 });
      const provider = new VaultKeyProvider({ addr: double.url, roleId: double.roleId, secretIdFile: file });
      const key = await provider.generateKey();
      // setup-approle.sh ran again: new secret id in the file, old one destroyed, old token revoked.
      await fs.writeFile(file, double.issueSecretId());
      double.revokeAllTokens();
      assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
      assert.equal(double.count('/v1/auth/approle/login', 200), 2);
      await provider.close();
    } finally {
      await double.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('VaultKeyProvider against the Vault double: older Vault answers', () => {
  let double: VaultDouble;
  before(async () => {
    double = new VaultDouble({ legacyNoContent: true });
    await double.start();
  });
  after(() => double.stop());

  it('reads the latest version after a rotate answered 204 with no body (Vault before 1.14)', async () => {
    const provider = new VaultKeyProvider({ addr: double.url, roleId: double.roleId, secretId: double.secretId });
    const old = await provider.generateKey();
    assert.equal(await provider.rotate(), 2);
    assert.equal(double.latestVersion(), 2);
    await provider.setMinDecryptionVersion(2);
    await assert.rejects(provider.unwrapKey(old), /too old/);
    await provider.close();
  });
});

describe('VaultKeyProvider over TLS (against the Vault double)', () => {
  let dir: string;
  let double: VaultDouble;
  let caFile: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vault-tls-'));
    caFile = path.join(dir, 'vault.crt');
    const keyFile = path.join(dir, 'vault.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=vault-double',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        caFile,
      ],
      { stdio: 'ignore' },
    );
    double = new VaultDouble({
      tls: { key: await fs.readFile(keyFile, 'utf8'), cert: await fs.readFile(caFile, 'utf8') },
    });
    await double.start();
  });
  after(async () => {
    await double.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('verifies Vault against VAULT_CACERT', async () => {
    const provider = createKeyProvider(
      loadConfig(KeyProviderConfigSchema, {
        VAULT_ADDR: double.url,
        VAULT_ROLE_ID: double.roleId,
        VAULT_SECRET_ID: double.secretId,
        VAULT_CACERT: caFile,
      }),
      { log: () => {} },
    );
    const key = await provider.generateKey();
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
    await provider.close();
  });

  it('[C-028] refuses a Vault certificate it cannot verify even when VAULT_SKIP_VERIFY is set (no man in the middle)', async () => {
    const saved = process.env.VAULT_SKIP_VERIFY;
    process.env.VAULT_SKIP_VERIFY = 'true';
    let provider: VaultKeyProvider;
    try {
      provider = new VaultKeyProvider({
        addr: double.url,
        roleId: double.roleId,
        secretId: double.secretId,
        retry: { attempts: 1 },
      });
    } finally {
      if (saved === undefined) delete process.env.VAULT_SKIP_VERIFY;
      else process.env.VAULT_SKIP_VERIFY = saved;
    }
    const before = double.requests.length;
    await assert.rejects(provider.generateKey(), unavailable('unavailable'));
    assert.equal(double.requests.length, before, 'a request reached the unverified server');
    await provider.close();
  });
});
