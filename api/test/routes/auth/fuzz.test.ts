import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp } from '../../helper.js';
import { fuzzRoute } from '../../support/fuzz.js';

// Limits raised: this file is about input handling, not throttling.
const env = {
  RATE_LIMIT_GLOBAL_MAX: '100000',
  RATE_LIMIT_LOGIN_MAX: '100000',
  RATE_LIMIT_SIGNUP_MAX: '100000',
  RATE_LIMIT_LOGIN_ACCOUNT_MAX: '100000',
  RATE_LIMIT_PASSWORD_RESET_MAX: '100000',
  RATE_LIMIT_PASSWORD_RESET_ACCOUNT_MAX: '100000',
  RATE_LIMIT_ACCOUNT_TOKEN_MAX: '100000',
  RATE_LIMIT_VERIFICATION_EMAIL_MAX: '100000',
  RATE_LIMIT_REAUTH_MAX: '100000',
};

describe('[C-023] auth routes under fuzzed and malformed input (ARCHITECTURE non-negotiable 3)', () => {
  it('never answers 5xx or a stack trace to POST /api/auth/signup, /login, /logout, GET /api/me', async (t) => {
    const { app, client } = await buildTestApp(t, { env });
    const c = client();
    await fuzzRoute(app, c, { method: 'POST', url: '/api/auth/signup' }, { runs: 40 });
    await fuzzRoute(app, c, { method: 'POST', url: '/api/auth/login' }, { runs: 40 });
    await fuzzRoute(app, c, { method: 'POST', url: '/api/auth/logout' }, { runs: 10 });
    await fuzzRoute(app, c, { method: 'GET', url: '/api/me' }, { runs: 10 });
  });

  it('never answers 5xx or a stack trace to the account-lifecycle routes (verify-email, verification-email, password-reset, its confirm, /api/me/export, /api/me/delete; issue 11)', async (t) => {
    const { app, client } = await buildTestApp(t, { env });
    const anonymous = client();
    await fuzzRoute(app, anonymous, { method: 'POST', url: '/api/auth/verify-email' }, { runs: 30 });
    await fuzzRoute(app, anonymous, { method: 'POST', url: '/api/auth/password-reset' }, { runs: 30 });
    await fuzzRoute(app, anonymous, { method: 'POST', url: '/api/auth/password-reset/confirm' }, { runs: 30 });
    const signedIn = client();
    await signedIn.signup('fuzzed.lifecycle@example.test', 'long enough password', 'Fuzz');
    await fuzzRoute(app, signedIn, { method: 'POST', url: '/api/auth/verification-email' }, { runs: 10 });
    await fuzzRoute(app, signedIn, { method: 'POST', url: '/api/me/export' }, { runs: 30 });
    await fuzzRoute(app, signedIn, { method: 'POST', url: '/api/me/delete' }, { runs: 30 });
  });

  it('rejects unknown fields with 400 validation_failed instead of dropping them', async (t) => {
    const { client } = await buildTestApp(t, { env });
    const res = await client().request({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'extra@example.test', password: 'long enough password', name: 'X', isAdmin: true },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'validation_failed');
  });

  it('rejects an oversized body with 413 and a wrong content type with 415', async (t) => {
    const { client } = await buildTestApp(t, { env });
    const c = client();
    const big = await c.request({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'a@example.test', password: 'x'.repeat(20_000) },
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'body_too_large');
    const xml = await c.request({
      method: 'POST',
      url: '/api/auth/login',
      payload: '<login/>',
      headers: { 'content-type': 'application/xml' },
    });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json().error.code, 'unsupported_media_type');
  });
});
