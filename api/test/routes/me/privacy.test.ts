import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { accountDeletions, accountTokens, users } from '../../../src/db/schema/index.js';
import { buildTestApp, STRONG_PASSWORD, TestClient, uniqueEmail } from '../../helper.js';
import { mailRequests } from '../../support/mail-requests.js';

async function account(client: TestClient): Promise<{ email: string; userId: string }> {
  const email = uniqueEmail('privacy');
  const res = await client.signup(email, STRONG_PASSWORD);
  assert.equal(res.statusCode, 201, res.body);
  return { email, userId: res.json<{ id: string }>().id };
}

const post = (client: TestClient, url: string, password: string, extra: Record<string, unknown> = {}) =>
  client.request({ method: 'POST', url, payload: { password }, ...extra });

describe('POST /api/me/export (issue 11; ASVS 3.7.1 re-authentication)', () => {
  it('requests a data_export mail (202) after the password is typed again', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { userId } = await account(shopper);
    const res = await post(shopper, '/api/me/export', STRONG_PASSWORD);
    assert.equal(res.statusCode, 202, res.body);
    const [request, ...more] = await mailRequests(db, userId, 'data_export');
    assert.equal(more.length, 0);
    assert.deepEqual(Object.keys(request ?? {}).sort(), ['requestId', 'template', 'userId'], 'no token, no address');
  });

  it('refuses a wrong password with 403 reauthentication_failed and no session with 401 unauthenticated, requesting nothing', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { userId } = await account(shopper);
    const wrong = await post(shopper, '/api/me/export', 'not the password at all');
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().error.code, 'reauthentication_failed');
    const anonymous = await post(client(), '/api/me/export', STRONG_PASSWORD);
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().error.code, 'unauthenticated');
    assert.equal((await mailRequests(db, userId, 'data_export')).length, 0);
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200, 'still signed in');
  });

  it('locks password re-entry per account after 5 attempts in 30 minutes (429 rate_limited, even with the right password and from another address; PCI DSS v4.0.1 8.3.4)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { userId } = await account(shopper);
    for (let i = 0; i < 5; i++) {
      assert.equal((await post(shopper, '/api/me/export', `wrong password ${i}`)).statusCode, 403);
    }
    const moved = new TestClient(shopper.app, '203.0.113.5');
    for (const [k, v] of shopper.cookies) moved.cookies.set(k, v);
    moved.csrf = shopper.csrf;
    for (const url of ['/api/me/export', '/api/me/delete']) {
      const res = await post(moved, url, STRONG_PASSWORD);
      assert.equal(res.statusCode, 429, url);
      assert.equal(res.json().error.code, 'rate_limited');
    }
    assert.equal((await mailRequests(db, userId, 'data_export')).length, 0);
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.deletionRequestedAt, null);
  });

  it('[C-007] refuses export and delete without the CSRF token, from another origin, with an oversized body and with unknown fields', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { userId } = await account(shopper);
    for (const url of ['/api/me/export', '/api/me/delete']) {
      const noCsrf = await post(shopper, url, STRONG_PASSWORD, { csrf: false });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().error.code, 'csrf_token_invalid');
      const cross = await post(shopper, url, STRONG_PASSWORD, { headers: { origin: 'https://evil.example' } });
      assert.equal(cross.statusCode, 403);
      assert.equal(cross.json().error.code, 'cross_origin_refused');
      const big = await post(shopper, url, 'x'.repeat(20_000));
      assert.equal(big.statusCode, 413);
      const extra = await shopper.request({ method: 'POST', url, payload: { password: STRONG_PASSWORD, userId } });
      assert.equal(extra.statusCode, 400);
      assert.equal(extra.json().error.code, 'validation_failed');
    }
    assert.equal((await mailRequests(db, userId)).length, 1, 'only the signup mail');
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.deletionRequestedAt, null);
  });
});

describe('POST /api/me/delete (issue 11; GDPR art. 17, ASVS 3.3.3, 3.7.1)', () => {
  it('ends every session at once, refuses login from then on, records the request and requests the account_deleted mail', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { email, userId } = await account(shopper);
    const other = client();
    assert.equal((await other.login(email, STRONG_PASSWORD)).statusCode, 200);
    const res = await post(shopper, '/api/me/delete', STRONG_PASSWORD);
    assert.equal(res.statusCode, 202, res.body);
    for (const c of [shopper, other]) {
      assert.equal((await c.request({ method: 'GET', url: '/api/me' })).statusCode, 401, 'session ended');
    }
    const login = await client().login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 401);
    assert.equal(login.json().error.code, 'invalid_credentials');
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.ok(user?.deletionRequestedAt);
    const [mail, ...more] = await mailRequests(db, userId, 'account_deleted');
    assert.equal(more.length, 0);
    const [deletion] = await db.select().from(accountDeletions).where(eq(accountDeletions.userId, userId));
    assert.equal(deletion?.mailRequestId, mail?.requestId);
    assert.equal(deletion?.erasedAt, null, 'erased later, once the final mail is recorded');
    assert.equal((await db.select().from(accountTokens).where(eq(accountTokens.userId, userId))).length, 0);
    // A reset for the address answers as for any other, and mails nothing.
    const reset = await client().request({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
    assert.equal(reset.statusCode, 202);
    assert.equal((await mailRequests(db, userId, 'password_reset')).length, 0);
  });

  it('refuses a wrong password with 403 reauthentication_failed and changes nothing', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const { userId } = await account(shopper);
    const res = await post(shopper, '/api/me/delete', 'not the password at all');
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'reauthentication_failed');
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.deletionRequestedAt, null);
    assert.equal((await mailRequests(db, userId, 'account_deleted')).length, 0);
    const anonymous = await post(client(), '/api/me/delete', STRONG_PASSWORD);
    assert.equal(anonymous.statusCode, 401);
  });
});
