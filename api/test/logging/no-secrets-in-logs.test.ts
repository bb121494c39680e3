import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture } from '@shop/shared/test-harness';
import { hashOneTimeToken } from '../../src/accounts/one-time-tokens.js';
import { SESSION_COOKIE } from '../../src/plugins/sessions.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';
import { mailedToken, mailRequests } from '../support/mail-requests.js';

describe('[C-018] log stream (PCI DSS v4.0.1 3.3, 10.2; ARCHITECTURE non-negotiable 2)', () => {
  it('never contains a password, an email, a name, a session cookie or a CSRF token during signup, login and failed login', async (t) => {
    const logs = new LogCapture();
    const { client } = await buildTestApp(t, { env: { LOG_LEVEL: 'trace' }, deps: { logStream: logs } });
    const email = uniqueEmail('loggable');
    const name = 'Grace Hopper-Unlogged';
    const shopper = client();
    assert.equal((await shopper.signup(email, STRONG_PASSWORD, name)).statusCode, 201);
    const cookieAfterSignup = shopper.cookies.get(SESSION_COOKIE) as string;
    await shopper.request({ method: 'GET', url: '/api/me' });
    await shopper.logout();
    const wrong = 'a wrong password that must not be logged';
    assert.equal((await shopper.login(email, wrong)).statusCode, 401);
    const csrf = await shopper.csrfToken();
    assert.equal((await shopper.login(email, STRONG_PASSWORD)).statusCode, 200);
    const cookieAfterLogin = shopper.cookies.get(SESSION_COOKIE) as string;

    const text = logs.text();
    assert.ok(logs.lines.length > 10, 'the log stream was captured');
    assert.match(text, /"event":"login_failed"/, 'the failed login is recorded as an event');
    for (const secret of [
      STRONG_PASSWORD,
      wrong,
      email,
      email.split('@')[0] as string,
      name,
      cookieAfterSignup,
      cookieAfterLogin,
      csrf,
    ]) {
      assert.ok(!text.includes(secret), `log stream contains ${secret.slice(0, 6)}...`);
    }
    for (const line of logs.parsed()) {
      assert.equal((line as { req?: { headers?: unknown } }).req?.headers, undefined, 'no request headers logged');
    }
  });

  it('never contains an email, a password, a mailed one-time token or its hash during verification, password reset, export and deletion (issue 11)', async (t) => {
    const logs = new LogCapture();
    const { client, db } = await buildTestApp(t, { env: { LOG_LEVEL: 'trace' }, deps: { logStream: logs } });
    const email = uniqueEmail('lifecycle');
    const shopper = client();
    const signup = await shopper.signup(email, STRONG_PASSWORD, 'Ada Unlogged-Lifecycle');
    const userId = signup.json<{ id: string }>().id;
    const verification = await mailedToken(db, userId, 'email_verification');
    const post = (c: typeof shopper, url: string, payload: object) => c.request({ method: 'POST', url, payload });
    assert.equal((await post(shopper, '/api/auth/verify-email', { token: verification })).statusCode, 204);
    assert.equal((await post(shopper, '/api/auth/verify-email', { token: verification })).statusCode, 410);
    const unknown = uniqueEmail('unknown-lifecycle');
    assert.equal((await post(client(), '/api/auth/password-reset', { email })).statusCode, 202);
    assert.equal((await post(client(), '/api/auth/password-reset', { email: unknown })).statusCode, 202);
    const reset = await mailedToken(db, userId, 'password_reset');
    const newPassword = 'a new password nobody may log';
    assert.equal(
      (await post(client(), '/api/auth/password-reset/confirm', { token: reset, password: newPassword })).statusCode,
      204,
    );
    const back = client();
    assert.equal((await back.login(email, newPassword)).statusCode, 200);
    const wrong = 'a wrong re-entered password';
    assert.equal((await post(back, '/api/me/export', { password: wrong })).statusCode, 403);
    assert.equal((await post(back, '/api/me/export', { password: newPassword })).statusCode, 202);
    assert.equal((await post(back, '/api/me/delete', { password: newPassword })).statusCode, 202);
    assert.equal((await mailRequests(db, userId)).length, 5, 'verification, reset, changed, export, deleted');

    const text = logs.text();
    assert.match(text, /"event":"password_reset_requested"/);
    assert.match(text, /"event":"account_deletion_requested"/);
    for (const secret of [
      email,
      unknown,
      email.split('@')[0] as string,
      STRONG_PASSWORD,
      newPassword,
      wrong,
      verification,
      reset,
      hashOneTimeToken(verification),
      hashOneTimeToken(reset),
    ]) {
      assert.ok(!text.includes(secret), `log stream contains ${secret.slice(0, 6)}...`);
    }
  });
});
