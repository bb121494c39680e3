import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';

describe('[C-007] CSRF on state-changing routes (ASVS 50.4.2 / OWASP synchronizer token)', () => {
  it('refuses a POST without the x-csrf-token header, even with a valid session cookie', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    await shopper.signup(uniqueEmail(), STRONG_PASSWORD);
    const res = await shopper.request({ method: 'POST', url: '/api/auth/logout', csrf: false });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'csrf_token_invalid');
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200, 'still signed in');
  });

  it("refuses a token issued to another session (tokens are bound to the session's secret)", async (t) => {
    const { client } = await buildTestApp(t);
    const attacker = client();
    const token = await attacker.csrfToken();
    const victim = client();
    await victim.signup(uniqueEmail(), STRONG_PASSWORD);
    const res = await victim.request({ method: 'POST', url: '/api/auth/logout', headers: { 'x-csrf-token': token } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'csrf_token_invalid');
  });

  it('refuses a cross-site POST from another Origin even with a valid token', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    const token = await shopper.csrfToken();
    const res = await shopper.request({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { origin: 'https://evil.example', 'x-csrf-token': token },
      payload: { email: uniqueEmail(), password: STRONG_PASSWORD, name: 'Mallory' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'cross_origin_refused');
    const opaque = await shopper.request({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { origin: 'null', 'x-csrf-token': token },
    });
    assert.equal(opaque.statusCode, 403, 'a sandboxed or file: page sends Origin: null');
    const fetchSite = await shopper.request({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { 'sec-fetch-site': 'cross-site', 'x-csrf-token': token },
    });
    assert.equal(fetchSite.statusCode, 403);
    assert.equal(fetchSite.json().error.code, 'cross_origin_refused');
  });

  it('accepts a same-origin POST carrying its token', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    const res = await shopper.request({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { origin: 'http://localhost:80' },
      payload: { email: uniqueEmail(), password: STRONG_PASSWORD, name: 'Same Origin' },
    });
    assert.equal(res.statusCode, 201, res.body);
  });

  it('invalidates the pre-login token at login (a fixed session cannot carry a known token)', async (t) => {
    const { client } = await buildTestApp(t);
    const email = uniqueEmail();
    await client().signup(email, STRONG_PASSWORD);
    const shopper = client();
    const oldToken = await shopper.csrfToken();
    await shopper.login(email, STRONG_PASSWORD);
    const res = await shopper.request({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { 'x-csrf-token': oldToken },
    });
    assert.equal(res.statusCode, 403);
  });

  it('protects login too (login CSRF): no route is exempt unless it declares config.csrf = false', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'a@b.co', password: 'x' },
    });
    assert.equal(res.statusCode, 403, 'login is protected too (login CSRF)');
  });
});
