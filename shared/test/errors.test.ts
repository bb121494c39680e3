import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { defineError, errorModel } from '../src/errors.js';

describe('error model', () => {
  it('answers an unexpected error with a generic 500 and no internal detail', async (t) => {
    const app = Fastify({ logger: false });
    t.after(() => app.close());
    await app.register(errorModel);
    app.get('/boom', async () => {
      throw new Error('password=hunter2 at /srv/app.js:12');
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: 'internal_error', message: 'Internal error' } });
  });

  it('lets a service classify a dependency outage as a stable 503 through mapError', async (t) => {
    const app = Fastify({ logger: false });
    t.after(() => app.close());
    await app.register(errorModel, {
      mapError: (err) =>
        (err as { code?: string }).code === 'ECONNREFUSED'
          ? { status: 503, code: 'database_unavailable', message: 'Temporarily unavailable' }
          : undefined,
    });
    app.get('/down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const Declared = defineError('PAYMENTS_NOT_CONFIGURED', 'Payments are not configured', 503);
    app.get('/declared', async () => {
      throw new Declared();
    });
    const down = await app.inject({ method: 'GET', url: '/down' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().error.code, 'database_unavailable');
    assert.doesNotMatch(down.body, /ECONNREFUSED|5432/);
    const declared = await app.inject({ method: 'GET', url: '/declared' });
    assert.equal(declared.statusCode, 503);
    assert.equal(declared.json().error.code, 'payments_not_configured');
  });
});
