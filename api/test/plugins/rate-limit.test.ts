import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, STRONG_PASSWORD, type TestClient, uniqueEmail } from '../helper.js';

const WRONG = 'wrong password, long enough';

/** A login from `address`, as the trusted gateway (10.0.0.1) forwards it. */
function loginFrom(client: (ip?: string) => TestClient, address: string, email: string, password: string) {
  return client('10.0.0.1').request({
    method: 'POST',
    url: '/api/auth/login',
    headers: { 'x-forwarded-for': address },
    payload: { email, password },
  });
}

describe('[C-008] rate limits (ASVS 2.2.1, PCI DSS v4.0.1 8.3.4)', () => {
  it('refuses the 6th login attempt in a minute from one address even with a forged X-Forwarded-For', async (t) => {
    // No TRUSTED_PROXIES: the direct peer is the client, whatever the header says.
    const { client } = await buildTestApp(t);
    const attacker = client('203.0.113.7');
    for (let i = 1; i <= 6; i++) {
      const res = await attacker.request({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
        payload: { email: uniqueEmail(), password: WRONG },
      });
      if (i <= 5) assert.equal(res.statusCode, 401, `attempt ${i}`);
      else {
        assert.equal(res.statusCode, 429, 'attempt 6');
        assert.equal(res.json().error.code, 'rate_limited');
      }
    }
  });

  it('honours X-Forwarded-For from a trusted proxy: clients behind the gateway get their own buckets', async (t) => {
    const { client } = await buildTestApp(t, { env: { TRUSTED_PROXIES: '10.0.0.1' } });
    const gateway = client('10.0.0.1');
    for (let i = 1; i <= 8; i++) {
      const res = await gateway.request({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
        payload: { email: uniqueEmail(), password: WRONG },
      });
      assert.equal(res.statusCode, 401, `client ${i} has its own bucket`);
    }
    // And one client behind the gateway is still limited.
    for (let i = 1; i <= 6; i++) {
      const res = await gateway.request({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': '198.51.100.200' },
        payload: { email: uniqueEmail(), password: WRONG },
      });
      assert.equal(res.statusCode, i <= 5 ? 401 : 429, `attempt ${i}`);
    }
  });

  it('limits login attempts per account and client, keyed by a hash of both, never the email', async (t) => {
    const { client, app, redisPrefix } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_MAX: '3' },
    });
    const email = uniqueEmail('victim');
    await client().signup(email, STRONG_PASSWORD);
    const codes = [];
    for (let i = 1; i <= 4; i++) codes.push((await loginFrom(client, '192.0.2.1', email, WRONG)).statusCode);
    assert.deepEqual(codes, [401, 401, 401, 429]);
    const keys = (await app.redis?.keys(`${redisPrefix}*`)) ?? [];
    assert.ok(keys.some((k) => k.includes('acct-client:')));
    assert.ok(keys.some((k) => k.includes('acct:')));
    const local = email.split('@')[0] as string;
    assert.ok(!keys.some((k) => k.includes(local)), 'no key holds the email');
  });

  it("[pentest 8.8] a stranger's failed attempts do not refuse the owner from another client; the attacker is still refused (PCI DSS 8.3.4)", async (t) => {
    const { client } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_MAX: '3' },
    });
    const email = uniqueEmail('owner');
    await client().signup(email, STRONG_PASSWORD);
    // A few addresses, each past the per-account limit: ten and more wrong passwords in all.
    for (const attacker of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      const codes = [];
      for (let i = 1; i <= 4; i++) codes.push((await loginFrom(client, attacker, email, WRONG)).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 429], attacker);
    }
    // The owner, elsewhere, is not locked out.
    const owner = await loginFrom(client, '203.0.113.50', email, STRONG_PASSWORD);
    assert.equal(owner.statusCode, 200, owner.body);
    // An attacking client stays refused, even once it has the right password.
    const attacker = await loginFrom(client, '198.51.100.1', email, STRONG_PASSWORD);
    assert.equal(attacker.statusCode, 429);
    assert.equal(attacker.json().error.code, 'rate_limited');
  });

  it('[pentest 8.8] an attacking client stays locked out for at least 30 minutes, restarted by every refused attempt (PCI DSS 8.3.4)', async (t) => {
    const { client, app, redisPrefix } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_MAX: '2' },
    });
    const email = uniqueEmail('owner');
    await client().signup(email, STRONG_PASSWORD);
    for (let i = 1; i <= 3; i++) await loginFrom(client, '198.51.100.9', email, WRONG);
    const [key] = (await app.redis?.keys(`${redisPrefix}*acct-client:*`)) ?? [];
    assert.ok(key, 'the pair is counted in Redis');
    const ttl = (await app.redis?.pttl(key)) ?? 0;
    assert.ok(ttl > 29.9 * 60_000 && ttl <= 30 * 60_000, `lockout of ${ttl} ms`);
    const retryAfter = Number((await loginFrom(client, '198.51.100.9', email, WRONG)).headers['retry-after']);
    assert.ok(retryAfter >= 1790, `Retry-After ${retryAfter} s`);
  });

  it('[pentest 8.8] past the account-wide ceiling every attempt is slowed, not refused: the owner still logs in', async (t) => {
    const { client } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_CEILING: '3', RATE_LIMIT_LOGIN_SLOWDOWN_MS: '1500' },
    });
    const email = uniqueEmail('owner');
    await client().signup(email, STRONG_PASSWORD);
    // Many clients, one attempt each: no client is locked out, the account reaches its ceiling.
    for (let i = 1; i <= 3; i++)
      assert.equal((await loginFrom(client, `198.51.100.${i}`, email, WRONG)).statusCode, 401);
    const started = Date.now();
    const owner = await loginFrom(client, '203.0.113.50', email, STRONG_PASSWORD);
    const waited = Date.now() - started;
    assert.equal(owner.statusCode, 200, owner.body);
    assert.ok(waited >= 1400, `the attempt past the ceiling waited ${waited} ms`);
    const stranger = await loginFrom(client, '198.51.100.77', email, WRONG);
    assert.equal(stranger.statusCode, 401, 'slowed, not refused');
  });

  it('limits signup per address', async (t) => {
    const { client } = await buildTestApp(t, { env: { RATE_LIMIT_SIGNUP_MAX: '2' } });
    const c = client('203.0.113.9');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await c.signup(uniqueEmail(), STRONG_PASSWORD)).statusCode);
    assert.deepEqual(codes, [201, 201, 429]);
  });

  it('limits 404s, so probing unknown paths is not free', async (t) => {
    const { app } = await buildTestApp(t, { env: { RATE_LIMIT_NOT_FOUND_MAX: '3' } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'GET', url: `/probe-${i}` })).statusCode);
    assert.deepEqual(codes, [404, 404, 404, 429]);
  });

  it('applies the global limit to every route', async (t) => {
    const { app } = await buildTestApp(t, { env: { RATE_LIMIT_GLOBAL_MAX: '3' } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'GET', url: '/healthz' })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 429]);
  });
});
