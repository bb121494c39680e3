import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture } from '@shop/shared/test-harness';
import { buildTestApp } from '../helper.js';

type Line = { reqId?: string; msg?: string; code?: string; res?: { statusCode?: number }; req?: { url?: string } };

describe('access log (PCI DSS v4.0.1 10.2.1)', () => {
  it('writes exactly one line per request, and a refused request carries its error code on that line', async (t) => {
    const logs = new LogCapture();
    const { app } = await buildTestApp(t, { env: { LOG_LEVEL: 'info' }, deps: { logStream: logs } });
    const ok = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(ok.statusCode, 200);
    const refused = await app.inject({ method: 'GET', url: '/api/products?limit=many' });
    assert.equal(refused.statusCode, 400);
    const missing = await app.inject({ method: 'GET', url: '/api/nowhere/shopper%40example.test/4111111111111111' });
    assert.equal(missing.statusCode, 404);

    const lines = logs.parsed() as Line[];
    const perRequest = new Map<string, Line[]>();
    for (const l of lines) if (l.reqId) perRequest.set(l.reqId, [...(perRequest.get(l.reqId) ?? []), l]);
    assert.equal(perRequest.size, 3, JSON.stringify(lines));
    for (const group of perRequest.values()) assert.equal(group.length, 1, JSON.stringify(group));
    const byStatus = (s: number) => [...perRequest.values()].flat().find((l) => l.res?.statusCode === s);
    assert.equal(byStatus(200)?.code, undefined);
    assert.equal(byStatus(400)?.code, 'validation_failed');
    assert.equal(byStatus(404)?.code, 'not_found');
    assert.ok(!logs.text().includes('request refused'));
    assert.ok(!/shopper|4111111111111111/.test(logs.text()), byStatus(404)?.req?.url);
  });
});
