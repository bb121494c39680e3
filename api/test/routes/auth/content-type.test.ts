import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';

const NOT_JSON = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
];

describe('JSON routes refuse other content types (ASVS 13.1.5)', () => {
  it('[pentest 8.10] login and signup answer 415 unsupported_media_type to text/plain and form bodies', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    const body = JSON.stringify({ email: uniqueEmail(), password: STRONG_PASSWORD, name: 'Plain' });
    for (const url of ['/api/auth/signup', '/api/auth/login', '/api/cart/items']) {
      for (const type of NOT_JSON) {
        const res = await shopper.request({ method: 'POST', url, headers: { 'content-type': type }, payload: body });
        assert.equal(res.statusCode, 415, `${url} ${type}: ${res.body}`);
        assert.deepEqual(res.json(), {
          error: { code: 'unsupported_media_type', message: 'Unsupported content type' },
        });
      }
    }
    // The same body as JSON is still what the route takes.
    const ok = await shopper.request({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    assert.equal(ok.statusCode, 201, ok.body);
  });
});
