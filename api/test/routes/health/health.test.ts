import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp } from '../../helper.js';

describe('GET /healthz and GET /readyz', () => {
  it('answers liveness and, with PostgreSQL and Redis reachable, readiness', async (t) => {
    const { app } = await buildTestApp(t);
    const live = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });

  it('answers unknown paths with the error model, not a framework page', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: { code: 'not_found', message: 'Not found' } });
  });
});
