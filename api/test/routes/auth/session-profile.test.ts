import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_REDIS_URL } from '@shop/shared/test-harness';
import { createRedisClient } from '../../../src/plugins/redis.js';
import { SESSION_COOKIE } from '../../../src/plugins/sessions.js';
import { RedisSessionStore } from '../../../src/sessions/redis-session-store.js';
import { hashSessionId } from '../../../src/sessions/session-id.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';

// GET /api/me keeps its contract although the api can never read email or name back: they
// live in the server-side session of the shopper who typed them, and nowhere else here.

describe('GET /api/me and the session profile', () => {
  it('answers the name only to the session that signed up; a later login answers name null', async (t) => {
    const { client } = await buildTestApp(t);
    const email = uniqueEmail();
    const first = client();
    assert.equal((await first.signup(email, STRONG_PASSWORD, 'Grace Hopper')).statusCode, 201);
    assert.equal((await first.request({ method: 'GET', url: '/api/me' })).json().name, 'Grace Hopper');
    await first.logout();
    assert.equal((await first.login(email, STRONG_PASSWORD)).statusCode, 200);
    const me = await first.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, email);
    assert.equal(me.json().name, null);
  });

  it('keeps the profile in the session store (Redis), and treats a signed-in session without one as signed out', async (t) => {
    const { client, redisPrefix } = await buildTestApp(t);
    const email = uniqueEmail();
    const shopper = client();
    assert.equal((await shopper.signup(email, STRONG_PASSWORD, 'Grace Hopper')).statusCode, 201);
    const redis = createRedisClient(TEST_REDIS_URL);
    t.after(() => redis.disconnect());
    await redis.connect();
    const store = new RedisSessionStore(redis, redisPrefix);
    const idHash = hashSessionId(shopper.cookies.get(SESSION_COOKIE) as string);
    const data = await store.get(idHash);
    assert.deepEqual(data?.profile, { email, name: 'Grace Hopper' });

    // A session from before profiles were kept (or tampered with): signed in, no profile.
    if (!data) throw new Error('no session');
    delete data.profile;
    await store.set(idHash, data, 60_000);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 401);
    assert.equal(me.json().error.code, 'unauthenticated');
    assert.equal(await store.get(idHash), undefined, 'the session was ended');
  });
});
