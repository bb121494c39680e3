import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp } from '../../helper.js';

describe('GET /api/docs/json', () => {
  it('serves an OpenAPI document generated from the route schemas, covering the auth contract', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: '/api/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    for (const [path, method] of [
      ['/api/csrf-token', 'get'],
      ['/api/auth/signup', 'post'],
      ['/api/auth/login', 'post'],
      ['/api/auth/logout', 'post'],
      ['/api/me', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} documented`);
    }
    const signup = doc.paths['/api/auth/signup'].post.requestBody.content['application/json'].schema;
    assert.equal(signup.additionalProperties, false);
    assert.deepEqual([...signup.required].sort(), ['email', 'name', 'password']);
  });
});
