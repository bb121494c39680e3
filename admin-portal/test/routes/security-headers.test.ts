import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';
import { PORTAL_HELMET_OPTIONS, SECURITY_HEADERS } from '../../src/plugins/security-headers.js';
import { type PortalHarness, type StaffClient, startPortal } from '../helper.js';

// Issue 9, item 4 for the portal: the headers are computed once at start from helmet's options
// and set by one hook; they must be exactly what @fastify/helmet sends for the same options,
// on every answer (pages, refusals, not found, static files).

let h: PortalHarness;
let staff: StaffClient;

before(async () => {
  h = await startPortal();
  staff = await h.addStaff('hal', ['support']);
});
after(async () => {
  await h?.close();
});

describe('security headers of the portal', () => {
  it('are the headers @fastify/helmet sends for the same options (no drift), computed once', async () => {
    const reference = Fastify();
    // The same object; only its type differs (helmet's ESM and CommonJS declarations).
    await reference.register(helmet, PORTAL_HELMET_OPTIONS as unknown as FastifyHelmetOptions);
    reference.get('/', async () => 'ok');
    const res = await reference.inject('/');
    await reference.close();
    const expected = Object.fromEntries(Object.keys(SECURITY_HEADERS).map((k) => [k, res.headers[k]]));
    assert.deepEqual(SECURITY_HEADERS, expected);
    assert.match(SECURITY_HEADERS['content-security-policy'] ?? '', /default-src 'self'.*frame-ancestors 'none'/);
    assert.match(SECURITY_HEADERS['strict-transport-security'] ?? '', /max-age=31536000; includeSubDomains/);
  });

  it("reach every answer: a page, a refusal before the session, a not-found and a static file (CSP default-src 'self', no-store)", async () => {
    const answers = [
      await staff.get('/healthz'),
      await staff.get('/'),
      await staff.post('/login', { code: '000000' }, { csrf: false }),
      await staff.get('/no-such-page'),
      await staff.get('/static/portal.css'),
    ];
    for (const res of answers) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, name);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 303, 403, 404, 200],
    );
  });
});
