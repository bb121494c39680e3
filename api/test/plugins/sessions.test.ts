import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, SESSION_COOKIE } from '../../src/plugins/sessions.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';

const MINUTE = 60_000;

function sessionCookie(res: { cookies: unknown[] }) {
  return (res.cookies as { name: string; value: string; [k: string]: unknown }[]).find(
    (c) => c.name === SESSION_COOKIE,
  );
}

describe('[C-006] sessions (ASVS 3.2-3.4, PCI DSS v4.0.1 8.2.8)', () => {
  it('issues the session id in a __Host- cookie that is HttpOnly, Secure, SameSite=Lax, Path=/ and has no Domain', async (t) => {
    const { client } = await buildTestApp(t);
    const res = await client().request({ method: 'GET', url: '/api/csrf-token' });
    const raw = String(res.headers['set-cookie']);
    assert.match(raw, /^__Host-shop_sid=[A-Za-z0-9_-]{43};/);
    assert.match(raw, /; HttpOnly/);
    assert.match(raw, /; Secure/);
    assert.match(raw, /; SameSite=Lax/);
    assert.match(raw, /; Path=\//);
    assert.doesNotMatch(raw, /Domain=/i);
  });

  it('rotates the session id at login, and the pre-login id is no longer valid (session fixation)', async (t) => {
    const { client } = await buildTestApp(t);
    const email = uniqueEmail();
    await client().signup(email, STRONG_PASSWORD);

    const victim = client();
    await victim.csrfToken();
    const before = victim.cookies.get(SESSION_COOKIE);
    assert.ok(before);
    const login = await victim.login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 200, login.body);
    const after = sessionCookie(login)?.value;
    assert.ok(after);
    assert.notEqual(after, before);

    // An attacker who planted or saw the pre-login id gets nothing.
    const fixed = await victim.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: `${SESSION_COOKIE}=${before}` },
    });
    assert.equal(fixed.statusCode, 401);
    assert.equal(fixed.json().error.code, 'unauthenticated');
    assert.equal((await victim.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
  });

  it('logout deletes the session server-side: replaying the old cookie answers 401', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    await shopper.signup(uniqueEmail(), STRONG_PASSWORD);
    const cookie = shopper.cookies.get(SESSION_COOKIE);
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200);

    const out = await shopper.logout();
    assert.equal(out.statusCode, 204);
    const cleared = sessionCookie(out);
    assert.ok(cleared, 'logout expires the cookie');

    const replay = await shopper.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: `${SESSION_COOKIE}=${cookie}` },
    });
    assert.equal(replay.statusCode, 401);
  });

  it('expires a session idle for 30 minutes, and keeps one used within that time', async (t) => {
    let now = Date.now();
    const { client } = await buildTestApp(t, { deps: { now: () => now } });
    const shopper = client();
    await shopper.signup(uniqueEmail(), STRONG_PASSWORD);

    now += IDLE_TIMEOUT_MS - MINUTE;
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200, 'used after 29 min');
    now += IDLE_TIMEOUT_MS - MINUTE;
    assert.equal(
      (await shopper.request({ method: 'GET', url: '/api/me' })).statusCode,
      200,
      'idle time restarts on use',
    );
    now += IDLE_TIMEOUT_MS + 1;
    const idle = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(idle.statusCode, 401, 'idle for 30 min');
  });

  it('expires a session 12 hours after it was created however active it is (absolute timeout)', async (t) => {
    let now = Date.now();
    const { client } = await buildTestApp(t, { deps: { now: () => now } });
    const shopper = client();
    await shopper.signup(uniqueEmail(), STRONG_PASSWORD);
    const start = now;
    while (now - start < ABSOLUTE_TIMEOUT_MS - 20 * MINUTE) {
      now += 20 * MINUTE;
      assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
    }
    now = start + ABSOLUTE_TIMEOUT_MS;
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  it('refuses a forged or malformed session cookie without touching another session', async (t) => {
    const { app } = await buildTestApp(t);
    for (const value of ['x'.repeat(43), 'not-a-session', 'a'.repeat(5000)]) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { cookie: `${SESSION_COOKIE}=${value}` },
      });
      assert.equal(res.statusCode, 401);
    }
  });

  it('keeps no session id in Redis: only its hash is a key', async (t) => {
    const { client, app, redisPrefix } = await buildTestApp(t);
    const shopper = client();
    await shopper.signup(uniqueEmail(), STRONG_PASSWORD);
    const id = shopper.cookies.get(SESSION_COOKIE) as string;
    const keys = await app.redis?.keys(`${redisPrefix}sess:*`);
    assert.ok(keys && keys.length >= 1);
    for (const k of keys) {
      assert.ok(!k.includes(id));
      assert.ok(!String(await app.redis?.get(k)).includes(id));
    }
  });

  for (const redis of [true, false]) {
    it(`ends every session of one user and no other's through the per-user index (${redis ? 'Redis' : 'in-process'} store; ASVS 3.3.3)`, async (t) => {
      const { app, client } = await buildTestApp(t, { redis });
      const email = uniqueEmail('everywhere');
      const first = client();
      const signup = await first.signup(email, STRONG_PASSWORD);
      const userId = signup.json<{ id: string }>().id;
      const second = client();
      assert.equal((await second.login(email, STRONG_PASSWORD)).statusCode, 200);
      const bystander = client();
      await bystander.signup(uniqueEmail('bystander'), STRONG_PASSWORD);
      await app.endUserSessions(userId);
      for (const c of [first, second]) {
        const me = await c.request({ method: 'GET', url: '/api/me' });
        assert.equal(me.statusCode, 401);
        assert.equal(me.json().error.code, 'unauthenticated');
      }
      assert.equal(
        (await bystander.request({ method: 'GET', url: '/api/me' })).statusCode,
        200,
        'another user stays signed in',
      );
      assert.equal((await client().login(email, STRONG_PASSWORD)).statusCode, 200, 'signing in again works');
    });
  }
});
