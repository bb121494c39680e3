import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { accountTokens, users } from '../../../src/db/schema/index.js';
import { buildTestApp, STRONG_PASSWORD, TestClient, uniqueEmail } from '../../helper.js';
import { mailedToken, mailRequests } from '../../support/mail-requests.js';

const NEW_PASSWORD = 'a brand new passphrase here';

async function account(client: TestClient): Promise<{ email: string; userId: string }> {
  const email = uniqueEmail('reset');
  const res = await client.signup(email, STRONG_PASSWORD);
  assert.equal(res.statusCode, 201, res.body);
  return { email, userId: res.json<{ id: string }>().id };
}

const askReset = (client: TestClient, email: string) =>
  client.request({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
const confirm = (client: TestClient, token: string, password = NEW_PASSWORD) =>
  client.request({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } });

async function mailCount(db: Parameters<typeof mailRequests>[0]): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from outbox where topic = 'mail.requested'`,
  );
  return rows[0]?.n ?? 0;
}

describe('POST /api/auth/password-reset (issue 11; ASVS 2.5.x, PCI DSS v4.0.1 8.3.x)', () => {
  it('[C-009] answers a known and an unknown email alike (202, same headers and body) and mails only the known one (no enumeration, ASVS 2.2.x)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const { email, userId } = await account(client());
    const before = await mailCount(db);
    const known = await askReset(client(), email.toUpperCase());
    const unknown = await askReset(client(), uniqueEmail('nobody'));
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.equal(known.body, unknown.body);
    assert.equal(known.body, 'null');
    const shape = (h: Record<string, unknown>) =>
      Object.keys(h)
        .filter((k) => !['date', 'set-cookie'].includes(k))
        .sort();
    assert.deepEqual(shape(known.headers), shape(unknown.headers));
    assert.equal(await mailCount(db), before + 1, 'one mail: for the known email only');
    const [request] = await mailRequests(db, userId, 'password_reset');
    assert.match(request?.token ?? '', /^[A-Za-z0-9_-]{43}$/);
    const [row] = await db
      .select()
      .from(accountTokens)
      .where(sql`${accountTokens.userId} = ${userId} and ${accountTokens.purpose} = 'password_reset'`);
    const minutes = ((row?.expiresAt.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0)) / 60_000;
    assert.equal(Math.round(minutes), 30, 'valid for 30 minutes');
  });

  it('sets the new password with the mailed token, ends every session of the account, and requests a password_changed mail (ASVS 3.3.3)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const first = client();
    const { email, userId } = await account(first);
    const second = client();
    assert.equal((await second.login(email, STRONG_PASSWORD)).statusCode, 200);
    assert.equal((await askReset(client(), email)).statusCode, 202);
    const token = await mailedToken(db, userId, 'password_reset');
    const res = await confirm(client(), token);
    assert.equal(res.statusCode, 204, res.body);
    for (const signedIn of [first, second]) {
      assert.equal((await signedIn.request({ method: 'GET', url: '/api/me' })).statusCode, 401, 'session revoked');
    }
    assert.equal((await client().login(email, STRONG_PASSWORD)).statusCode, 401, 'the old password is gone');
    assert.equal((await client().login(email, NEW_PASSWORD)).statusCode, 200);
    assert.equal((await mailRequests(db, userId, 'password_changed')).length, 1);
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.ok(user?.emailVerifiedAt, 'the mailed link proved the mailbox');
  });

  it('refuses a reused token with 410 account_token_used, an expired one with 410 account_token_expired, forged and truncated ones with 400 account_token_invalid, and a verification token for a reset', async (t) => {
    const { client, db } = await buildTestApp(t);
    const { email, userId } = await account(client());
    await askReset(client(), email);
    const token = await mailedToken(db, userId, 'password_reset');
    const cases: [string, number, string][] = [
      [randomBytes(32).toString('base64url'), 400, 'account_token_invalid'],
      [token.slice(0, 40), 400, 'account_token_invalid'],
      [await mailedToken(db, userId, 'email_verification'), 400, 'account_token_invalid'],
    ];
    for (const [wrong, status, code] of cases) {
      const res = await confirm(client(), wrong);
      assert.equal(res.statusCode, status);
      assert.equal(res.json().error.code, code);
    }
    assert.equal((await confirm(client(), token)).statusCode, 204);
    const reused = await confirm(client(), token, 'yet another passphrase');
    assert.equal(reused.statusCode, 410);
    assert.equal(reused.json().error.code, 'account_token_used');
    assert.equal((await client().login(email, NEW_PASSWORD)).statusCode, 200, 'the reuse changed nothing');

    await askReset(client(), email);
    const late = await mailedToken(db, userId, 'password_reset');
    await db
      .update(accountTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(sql`${accountTokens.userId} = ${userId} and ${accountTokens.usedAt} is null`);
    const expired = await confirm(client(), late, 'yet another passphrase');
    assert.equal(expired.statusCode, 410);
    assert.equal(expired.json().error.code, 'account_token_expired');
    assert.equal((await client().login(email, NEW_PASSWORD)).statusCode, 200);
  });

  it('refuses a new password outside 12-128 characters (ASVS 2.1.1/2.1.2) without spending the token', async (t) => {
    const { client, db } = await buildTestApp(t);
    const { email, userId } = await account(client());
    await askReset(client(), email);
    const token = await mailedToken(db, userId, 'password_reset');
    for (const password of ['too short', 'x'.repeat(129)]) {
      const res = await confirm(client(), token, password);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    assert.equal((await confirm(client(), token)).statusCode, 204);
  });

  it('is rate-limited per typed email: the 4th request for one address in an hour answers 429 rate_limited from any client, known email or not (ASVS 2.2.1)', async (t) => {
    const { app, client, db } = await buildTestApp(t);
    const { email } = await account(client());
    const unknown = uniqueEmail('nobody');
    for (const target of [email, unknown]) {
      for (let i = 0; i < 3; i++) {
        const c = new TestClient(app, `198.51.100.${i + 1}`);
        assert.equal((await askReset(c, target)).statusCode, 202);
      }
      const fourth = await askReset(new TestClient(app, '198.51.100.9'), target);
      assert.equal(fourth.statusCode, 429);
      assert.equal(fourth.json().error.code, 'rate_limited');
    }
    assert.equal((await mailCount(db)) - 1, 3, 'three reset mails for the known email, none for the unknown');
  });

  it('is rate-limited per client: the 6th request from one address in 15 minutes answers 429 rate_limited, whatever the emails (ASVS 2.2.1)', async (t) => {
    const { client } = await buildTestApp(t);
    const c = client();
    for (let i = 0; i < 5; i++) assert.equal((await askReset(c, uniqueEmail('spray'))).statusCode, 202);
    const sixth = await askReset(c, uniqueEmail('spray'));
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().error.code, 'rate_limited');
  });

  it('[C-007] refuses password-reset and its confirm without the CSRF token, from another origin, and with an oversized body', async (t) => {
    const { client, db } = await buildTestApp(t);
    const { email, userId } = await account(client());
    const c = client();
    const noCsrf = await c.request({
      method: 'POST',
      url: '/api/auth/password-reset',
      payload: { email },
      csrf: false,
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().error.code, 'csrf_token_invalid');
    assert.equal((await mailRequests(db, userId, 'password_reset')).length, 0, 'nothing mailed');
    await askReset(c, email);
    const token = await mailedToken(db, userId, 'password_reset');
    const cross = await c.request({
      method: 'POST',
      url: '/api/auth/password-reset/confirm',
      payload: { token, password: NEW_PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(cross.statusCode, 403);
    assert.equal(cross.json().error.code, 'cross_origin_refused');
    const noCsrfConfirm = await c.request({
      method: 'POST',
      url: '/api/auth/password-reset/confirm',
      payload: { token, password: NEW_PASSWORD },
      csrf: false,
    });
    assert.equal(noCsrfConfirm.json().error.code, 'csrf_token_invalid');
    const big = await c.request({
      method: 'POST',
      url: '/api/auth/password-reset/confirm',
      payload: { token, password: 'x'.repeat(20_000) },
    });
    assert.equal(big.statusCode, 413);
    assert.equal((await confirm(c, token)).statusCode, 204, 'none of the refused requests spent the token');
  });
});
