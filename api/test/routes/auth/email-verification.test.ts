import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { accountTokens, users } from '../../../src/db/schema/index.js';
import { buildTestApp, STRONG_PASSWORD, TestClient, uniqueEmail } from '../../helper.js';
import { mailedToken, mailRequests } from '../../support/mail-requests.js';

async function signedUp(client: TestClient): Promise<string> {
  const res = await client.signup(uniqueEmail('verify'), STRONG_PASSWORD);
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

const verify = (client: TestClient, token: string, headers: Record<string, string> = {}) =>
  client.request({ method: 'POST', url: '/api/auth/verify-email', payload: { token }, headers });

describe('email verification at signup (issue 11; ASVS 2.5.x, PCI DSS v4.0.1 8.3.1)', () => {
  it('requests a verification mail at signup naming the user, never an address, and stores only the SHA-256 of its 32-byte token', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const [request, ...more] = await mailRequests(db, userId);
    assert.equal(more.length, 0, 'one mail requested');
    assert.equal(request?.template, 'email_verification');
    assert.deepEqual(Object.keys(request ?? {}).sort(), ['requestId', 'template', 'token', 'userId']);
    const token = request?.token ?? '';
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const rows = await db.select().from(accountTokens).where(eq(accountTokens.userId, userId));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.tokenHash, createHash('sha256').update(token).digest('base64url'));
    assert.notEqual(rows[0]?.tokenHash, token);
    const hours = ((rows[0]?.expiresAt.getTime() ?? 0) - (rows[0]?.createdAt.getTime() ?? 0)) / 3_600_000;
    assert.equal(Math.round(hours), 24, 'valid for 24 h');
  });

  it('verifies the email with the mailed token (204, /api/me then says so), and a second use of it answers 410 account_token_used (ASVS 2.5.x single use)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.json().emailVerified, false);
    const token = await mailedToken(db, userId, 'email_verification');
    // Opened in another browser, without a session: the token alone names the account.
    const elsewhere = client();
    assert.equal((await verify(elsewhere, token)).statusCode, 204);
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.ok(user?.emailVerifiedAt, 'verified');
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).json().emailVerified, true);
    const again = await verify(elsewhere, token);
    assert.equal(again.statusCode, 410);
    assert.equal(again.json().error.code, 'account_token_used');
  });

  it('refuses an expired token with 410 account_token_expired and leaves the email unverified (24 h lifetime)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const token = await mailedToken(db, userId, 'email_verification');
    await db
      .update(accountTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(accountTokens.userId, userId));
    const res = await verify(shopper, token);
    assert.equal(res.statusCode, 410);
    assert.equal(res.json().error.code, 'account_token_expired');
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.emailVerifiedAt, null);
  });

  it('refuses forged, truncated and extended tokens and the hash itself with 400 account_token_invalid, and malformed ones by schema', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const token = await mailedToken(db, userId, 'email_verification');
    const [row] = await db.select().from(accountTokens).where(eq(accountTokens.userId, userId));
    for (const wrong of [
      randomBytes(32).toString('base64url'),
      token.slice(0, 42),
      `${token}A`,
      row?.tokenHash ?? '',
    ]) {
      const res = await verify(shopper, wrong);
      assert.equal(res.statusCode, 400, wrong.length.toString());
      assert.equal(res.json().error.code, 'account_token_invalid');
    }
    for (const payload of [{ token: 'not base64url!' }, { token: '' }, { token, extra: 1 }, {}]) {
      const res = await shopper.request({ method: 'POST', url: '/api/auth/verify-email', payload });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.emailVerifiedAt, null, 'nothing verified');
    assert.equal((await verify(shopper, token)).statusCode, 204, 'the real token still works');
  });

  it('[C-007] refuses verify-email and verification-email without the CSRF token or from another origin (ASVS 50.4.2)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const token = await mailedToken(db, userId, 'email_verification');
    for (const url of ['/api/auth/verify-email', '/api/auth/verification-email']) {
      const noToken = await shopper.request({ method: 'POST', url, payload: { token }, csrf: false });
      assert.equal(noToken.statusCode, 403);
      assert.equal(noToken.json().error.code, 'csrf_token_invalid');
      const cross = await shopper.request({
        method: 'POST',
        url,
        payload: { token },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(cross.statusCode, 403);
      assert.equal(cross.json().error.code, 'cross_origin_refused');
    }
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.equal(user?.emailVerifiedAt, null);
  });

  it('limits token guesses per client: the 11th verify-email or reset confirm in a minute answers 429 rate_limited (ASVS 2.2.1)', async (t) => {
    const { client } = await buildTestApp(t);
    for (const [url, payload] of [
      ['/api/auth/verify-email', () => ({ token: randomBytes(32).toString('base64url') })],
      [
        '/api/auth/password-reset/confirm',
        () => ({ token: randomBytes(32).toString('base64url'), password: 'a long enough passphrase' }),
      ],
    ] as const) {
      const guesser = client();
      for (let i = 0; i < 10; i++) {
        const res = await guesser.request({ method: 'POST', url, payload: payload() });
        assert.equal(res.json().error.code, 'account_token_invalid');
      }
      const eleventh = await guesser.request({ method: 'POST', url, payload: payload() });
      assert.equal(eleventh.statusCode, 429, url);
      assert.equal(eleventh.json().error.code, 'rate_limited');
    }
  });

  it('refuses an oversized body with 413 body_too_large', async (t) => {
    const { client } = await buildTestApp(t);
    const res = await client().request({
      method: 'POST',
      url: '/api/auth/verify-email',
      payload: { token: 'A'.repeat(20_000) },
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'body_too_large');
  });

  it('checkout refuses a shopper whose email is not verified with 403 email_not_verified (issue 11)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const address = { name: 'A Shopper', line1: '1 Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: address } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'email_not_verified');
    await verify(shopper, await mailedToken(db, userId, 'email_verification'));
    const after = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: address },
    });
    assert.notEqual(
      after.json().error?.code,
      'email_not_verified',
      'verified: checkout goes on (here to payments_not_configured)',
    );
  });
});

describe('POST /api/auth/verification-email (resend)', () => {
  it('refuses an anonymous request with 401 unauthenticated and requests no mail', async (t) => {
    const { client, db } = await buildTestApp(t);
    const res = await client().request({ method: 'POST', url: '/api/auth/verification-email' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthenticated');
    assert.equal((await db.execute(sql`select count(*)::int as n from outbox`)).rows[0]?.n, 0);
  });

  it('mails a new token (202) that replaces the earlier one, and answers 409 email_already_verified once verified', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    const first = await mailedToken(db, userId, 'email_verification');
    const resend = await shopper.request({ method: 'POST', url: '/api/auth/verification-email' });
    assert.equal(resend.statusCode, 202, resend.body);
    const second = await mailedToken(db, userId, 'email_verification');
    assert.notEqual(second, first);
    const old = await verify(shopper, first);
    assert.equal(old.statusCode, 400, 'only the newest link works');
    assert.equal(old.json().error.code, 'account_token_invalid');
    assert.equal((await verify(shopper, second)).statusCode, 204);
    const done = await shopper.request({ method: 'POST', url: '/api/auth/verification-email' });
    assert.equal(done.statusCode, 409);
    assert.equal(done.json().error.code, 'email_already_verified');
  });

  it('is rate-limited per account: the 4th resend in an hour answers 429 rate_limited, even from another client address (ASVS 2.2.1)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const shopper = client();
    const userId = await signedUp(shopper);
    for (let i = 0; i < 3; i++) {
      const res = await shopper.request({ method: 'POST', url: '/api/auth/verification-email' });
      assert.equal(res.statusCode, 202, res.body);
    }
    // The same session from another address: the bucket is keyed by the account, not the client.
    const moved = new TestClient(shopper.app, '192.0.2.7');
    for (const [k, v] of shopper.cookies) moved.cookies.set(k, v);
    moved.csrf = shopper.csrf;
    const fourth = await moved.request({ method: 'POST', url: '/api/auth/verification-email' });
    assert.equal(fourth.statusCode, 429);
    assert.equal(fourth.json().error.code, 'rate_limited');
    assert.equal((await mailRequests(db, userId)).length, 4, 'the signup mail and three resends');
  });
});
