import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VaultDouble } from './vault-double.js';

/**
 * The double is only worth its tests if it behaves like Vault where the provider depends
 * on it: these pin the documented shapes and the refusals (sealed, 403, expired tokens,
 * min_decryption_version, the policy's allowed_parameters).
 */
describe('Vault double: speaks the documented Vault HTTP API', () => {
  const double = new VaultDouble({ tokenTtl: 60, tokenMaxTtl: 120 });
  let token = '';
  const call = async (method: string, path: string, body?: unknown, withToken = true) => {
    const response = await fetch(`${double.url}/v1/${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(withToken ? { 'x-vault-token': token } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  before(async () => {
    await double.start();
  });
  after(() => double.stop());

  it('logs in with AppRole and answers with an auth block; a wrong secret id gets 400', async () => {
    const bad = await call('POST', 'auth/approle/login', { role_id: double.roleId, secret_id: 'nope' }, false);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { errors: ['invalid role or secret ID'] });
    const ok = await call('POST', 'auth/approle/login', { role_id: double.roleId, secret_id: double.secretId }, false);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data, null);
    assert.match(ok.body.auth.client_token, /^hvs\./);
    assert.equal(ok.body.auth.lease_duration, 60);
    assert.equal(ok.body.auth.renewable, true);
    token = ok.body.auth.client_token;
  });

  it('answers transit datakey, decrypt and rewrap with data blocks and vault:v<N>: ciphertexts', async () => {
    const key = await call('POST', 'transit/datakey/plaintext/tokenizer-kek', {});
    assert.equal(key.status, 200);
    assert.match(key.body.data.ciphertext, /^vault:v1:/);
    assert.equal(Buffer.from(key.body.data.plaintext, 'base64').length, 32);
    const opened = await call('POST', 'transit/decrypt/tokenizer-kek', { ciphertext: key.body.data.ciphertext });
    assert.deepEqual(opened.body.data, { plaintext: key.body.data.plaintext });
    const rotated = await call('POST', 'transit/keys/tokenizer-kek/rotate');
    assert.equal(rotated.body.data.latest_version, 2);
    const rewrapped = await call('POST', 'transit/rewrap/tokenizer-kek', { ciphertext: key.body.data.ciphertext });
    assert.match(rewrapped.body.data.ciphertext, /^vault:v2:/);
    const config = await call('POST', 'transit/keys/tokenizer-kek/config', { min_decryption_version: 2 });
    assert.equal(config.body.data.min_decryption_version, 2);
    const old = await call('POST', 'transit/decrypt/tokenizer-kek', { ciphertext: key.body.data.ciphertext });
    assert.equal(old.status, 400);
    assert.deepEqual(old.body, { errors: ['ciphertext or signature version is disallowed by policy (too old)'] });
    const tooHigh = await call('POST', 'transit/keys/tokenizer-kek/config', { min_decryption_version: 9 });
    assert.equal(tooHigh.status, 400);
    assert.match(tooHigh.body.errors[0], /cannot set min decryption version of 9, latest key version is 2/);
  });

  it('enforces the shipped policy: other keys, export, deletion_allowed and sys paths get 403', async () => {
    for (const [method, path, body] of [
      ['POST', 'transit/datakey/plaintext/other-key', {}],
      ['GET', 'transit/export/encryption-key/tokenizer-kek', undefined],
      ['POST', 'transit/keys/tokenizer-kek/config', { deletion_allowed: true }],
      ['POST', 'transit/keys/tokenizer-kek/config', { exportable: true }],
      ['POST', 'transit/datakey/wrapped/tokenizer-kek', {}],
      ['POST', 'sys/seal', {}],
    ] as const) {
      const answer = await call(method, path, body);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.deepEqual(answer.body, { errors: ['permission denied'] });
    }
  });

  it('answers 403 without a token, and once the token has expired', async () => {
    assert.equal((await call('POST', 'transit/datakey/plaintext/tokenizer-kek', {}, false)).status, 403);
    double.tokenTtl = 1;
    double.tokenMaxTtl = 2;
    const login = await call(
      'POST',
      'auth/approle/login',
      { role_id: double.roleId, secret_id: double.secretId },
      false,
    );
    token = login.body.auth.client_token;
    const renewed = await call('POST', 'auth/token/renew-self', { increment: '5s' });
    assert.equal(renewed.status, 200);
    assert.ok(renewed.body.auth.lease_duration <= 2, 'renewal went past the max TTL');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await call('POST', 'transit/datakey/plaintext/tokenizer-kek', {})).status, 403);
    assert.equal((await call('POST', 'auth/token/renew-self', {})).status, 403);
  });

  it('when sealed: health answers 503 sealed and every other path 503 Vault is sealed', async () => {
    double.sealed = true;
    try {
      const health = await call('GET', 'sys/health', undefined, false);
      assert.equal(health.status, 503);
      assert.equal(health.body.sealed, true);
      const login = await call(
        'POST',
        'auth/approle/login',
        { role_id: double.roleId, secret_id: double.secretId },
        false,
      );
      assert.deepEqual(login, { status: 503, body: { errors: ['Vault is sealed'] } });
    } finally {
      double.sealed = false;
    }
    assert.equal((await call('GET', 'sys/health', undefined, false)).status, 200);
  });
});
