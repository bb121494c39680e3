import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';

describe('POST /api/auth/signup and /api/auth/login', () => {
  it('creates an account, signs the shopper in, and /api/me answers with their id, email and name', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    const email = uniqueEmail();
    const signup = await shopper.signup(email, STRONG_PASSWORD, 'Ada Lovelace');
    assert.equal(signup.statusCode, 201, signup.body);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(Object.keys(me.json()).sort(), ['email', 'id', 'name']);
    assert.equal(me.json().email, email);

    const other = client();
    const login = await other.login(email.toUpperCase(), STRONG_PASSWORD);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal((await other.request({ method: 'GET', url: '/api/me' })).json().name, 'Ada Lovelace');
  });
});
