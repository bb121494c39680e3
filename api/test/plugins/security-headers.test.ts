import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp } from '../helper.js';

const EXPECTED_CSP =
  "default-src 'self';script-src 'self' https://js.stripe.com;style-src 'self';img-src 'self' data:;font-src 'self';" +
  "connect-src 'self' https://api.stripe.com;frame-src https://js.stripe.com https://hooks.stripe.com;" +
  "frame-ancestors 'none';object-src 'none';base-uri 'none';form-action 'self';report-uri /api/csp-reports;report-to csp-endpoint";

describe('[C-005] security headers (PCI DSS v4.0.1 6.4.3, ASVS 50.2)', () => {
  it('sends the strict CSP, HSTS, Referrer-Policy, Permissions-Policy and frame denial on every answer', async (t) => {
    const { app } = await buildTestApp(t);
    for (const url of ['/healthz', '/api/me', '/no-such-page']) {
      const res = await app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      assert.equal(csp, EXPECTED_CSP, url);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(
        res.headers['permissions-policy'],
        'payment=(self "https://js.stripe.com"), camera=(), microphone=(), geolocation=()',
      );
      assert.equal(res.headers['reporting-endpoints'], 'csp-endpoint="/api/csp-reports"');
      assert.equal(res.headers['x-powered-by'], undefined);
    }
  });

  it('marks api answers no-store so session-bound data is not cached', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: '/api/csrf-token' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
