import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_COOKIE } from '../../src/plugins/sessions.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';
import { LogCapture } from '../support/log-capture.js';

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
});
