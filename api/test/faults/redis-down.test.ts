import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@shop/shared/test-harness';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';
import { PrivateRedis } from '../support/private-redis.js';

describe('Redis outage (login fails closed, recovers without restart)', () => {
  it('answers login and signup with 503 and a stable code while Redis is down, and logs in again when it returns', async (t) => {
    const redis = new PrivateRedis();
    await redis.start();
    t.after(() => redis.stop());
    const { client, app } = await buildTestApp(t, { env: { REDIS_URL: redis.url } });
    const email = uniqueEmail();
    const shopper = client();
    assert.equal((await shopper.signup(email, STRONG_PASSWORD)).statusCode, 201);
    await shopper.logout();
    const token = await shopper.csrfToken();

    await redis.stop();
    const down = await shopper.request({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-csrf-token': token },
      payload: { email, password: STRONG_PASSWORD },
    });
    assert.equal(down.statusCode, 503, down.body);
    assert.ok(
      ['session_store_unavailable', 'rate_limit_unavailable'].includes(down.json().error.code),
      down.json().error.code,
    );
    // Without a cookie, the session store is not consulted: the fail-closed login limiter answers.
    const fresh = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: STRONG_PASSWORD },
    });
    assert.equal(fresh.statusCode, 503);
    assert.equal(fresh.json().error.code, 'rate_limit_unavailable');
    const signup = await app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: uniqueEmail(), password: STRONG_PASSWORD, name: 'Down' },
    });
    assert.equal(signup.statusCode, 503);
    assert.equal(signup.json().error.code, 'rate_limit_unavailable');
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().error.code, 'not_ready');
    // Browsing without a session keeps working: the global limit fails open (README).
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);

    await redis.start();
    await waitFor(
      'ready again',
      async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode,
      (status) => status === 200,
      8_000,
    );
    const again = client();
    const login = await again.login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal((await again.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
  });
});
