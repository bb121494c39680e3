import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastifyHelmet from '@fastify/helmet';
import Fastify from 'fastify';
import {
  HELMET_OPTIONS,
  PERMISSIONS_POLICY,
  SECURITY_HEADERS,
  securityHeadersPlugin,
} from '../../src/plugins/security-headers.js';
import { buildTestApp } from '../helper.js';

const EXPECTED_CSP =
  "default-src 'self';script-src 'self' https://js.stripe.com;style-src 'self';img-src 'self' data:;font-src 'self';" +
  "connect-src 'self' https://api.stripe.com;frame-src https://js.stripe.com https://hooks.stripe.com;" +
  "frame-ancestors 'none';object-src 'none';base-uri 'none';form-action 'self';report-uri /api/csp-reports;report-to csp-endpoint";

/** The headers a bare Fastify answer gets from `register`, beyond what Fastify sends itself. */
async function headersAdded(register: (app: ReturnType<typeof Fastify>) => Promise<void>) {
  const bare = Fastify();
  bare.get('/', async () => ({ ok: true }));
  const plain = await bare.inject({ method: 'GET', url: '/' });
  const app = Fastify();
  await register(app);
  app.get('/', async () => ({ ok: true }));
  const res = await app.inject({ method: 'GET', url: '/' });
  return Object.fromEntries(Object.entries(res.headers).filter(([name]) => !(name in plain.headers)));
}

describe('[C-005] security headers (PCI DSS v4.0.1 6.4.3, ASVS 50.2)', () => {
  it('sends the strict CSP, Referrer-Policy, Permissions-Policy and frame denial on every answer', async (t) => {
    const { app } = await buildTestApp(t, { env: { RATE_LIMIT_NOT_FOUND_MAX: '1' } });
    // Answers of every stage: a route, a 401, a 404, a 429 from the not-found limit, a 400.
    const answers: Array<[string, number]> = [
      ['/healthz', 200],
      ['/api/me', 401],
      ['/no-such-page', 404],
      ['/no-such-page', 429],
      ['/api/products?limit=x', 400],
    ];
    for (const [url, status] of answers) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, status, url);
      const csp = String(res.headers['content-security-policy']);
      assert.equal(csp, EXPECTED_CSP, url);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['permissions-policy'], PERMISSIONS_POLICY);
      assert.equal(res.headers['reporting-endpoints'], 'csp-endpoint="/api/csp-reports"');
      assert.equal(res.headers['x-powered-by'], undefined);
    }
  });

  it('sends exactly the headers @fastify/helmet produces for the same options, so the two cannot drift', async () => {
    const fromPlugin = await headersAdded(async (app) => {
      await app.register(fastifyHelmet, HELMET_OPTIONS);
    });
    const ours = await headersAdded(async (app) => {
      await app.register(securityHeadersPlugin);
    });
    assert.ok(Object.keys(fromPlugin).length >= 10, 'helmet set its headers');
    const { 'permissions-policy': permissions, 'reporting-endpoints': reporting, ...fromHelmet } = ours;
    assert.deepEqual(fromHelmet, fromPlugin);
    assert.equal(permissions, PERMISSIONS_POLICY);
    assert.equal(reporting, 'csp-endpoint="/api/csp-reports"');
    assert.deepEqual(ours, SECURITY_HEADERS);
  });

  it('[pentest 8.10] sends no Strict-Transport-Security: the TLS-terminating gateway is its one source', async (t) => {
    const { app } = await buildTestApp(t);
    for (const url of ['/healthz', '/api/csrf-token', '/no-such-page']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.headers['strict-transport-security'], undefined, url);
    }
  });

  it('marks api answers no-store so session-bound data is not cached', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: '/api/csrf-token' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
