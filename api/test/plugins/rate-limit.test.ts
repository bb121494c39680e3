import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';

const WRONG = 'wrong password, long enough';

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

  it('limits login attempts per account across addresses, keyed by a hash of the email, never the email', async (t) => {
    const { client, app, redisPrefix } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_MAX: '3' },
    });
    const email = uniqueEmail('victim');
    await client().signup(email, STRONG_PASSWORD);
    const gateway = client('10.0.0.1');
    const codes: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const res = await gateway.request({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `192.0.2.${i}` },
        payload: { email, password: WRONG },
      });
      codes.push(res.statusCode);
    }
    assert.deepEqual(codes, [401, 401, 401, 429]);
    const keys = (await app.redis?.keys(`${redisPrefix}*`)) ?? [];
    assert.ok(keys.some((k) => k.includes('acct:')));
    const local = email.split('@')[0] as string;
    assert.ok(!keys.some((k) => k.includes(local)), 'no key holds the email');
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
