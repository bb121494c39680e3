// POST /api/csp-reports: the browser side of PCI DSS v4.0.1 11.6.1 (alert on unauthorised
// change of the payment page as the shopper's browser sees it). The endpoint takes input from
// anyone, so it is size-bounded, schema-validated and rate-limited, and stores no secrets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desc } from 'drizzle-orm';
import { cspReports } from '../../../src/db/schema/csp-reports.js';
import { CSP_REPORT_BODY_LIMIT, CSP_REPORTS_PER_MINUTE } from '../../../src/routes/csp-reports/index.js';
import { buildStorefrontApp } from '../../support/storefront-stack.js';

const PAGE = 'http://127.0.0.1:3000/checkout/complete?order=1&payment_intent_client_secret=pi_123_secret_abc#frag';

function cspReport(overrides: Record<string, unknown> = {}) {
  return {
    'csp-report': {
      'document-uri': PAGE,
      referrer: '',
      'violated-directive': 'script-src-elem',
      'effective-directive': 'script-src-elem',
      'original-policy': "default-src 'self'; script-src 'self' https://js.stripe.com",
      disposition: 'enforce',
      'blocked-uri': 'https://evil.example/skimmer.js?u=shopper@example.test',
      'line-number': 12,
      'column-number': 7,
      'source-file': 'http://127.0.0.1:3000/checkout',
      'status-code': 200,
      'script-sample': '',
      ...overrides,
    },
  };
}

function reportsBatch() {
  return [
    {
      type: 'csp-violation',
      age: 3,
      url: PAGE,
      user_agent: 'Mozilla/5.0',
      body: {
        documentURL: PAGE,
        referrer: '',
        blockedURL: 'inline',
        effectiveDirective: 'script-src-elem',
        originalPolicy: "default-src 'self'",
        sourceFile: 'http://127.0.0.1:3000/checkout',
        sample: 'var pan = "4242 4242 4242 4242"',
        disposition: 'enforce',
        statusCode: 200,
        lineNumber: 1,
        columnNumber: 1,
      },
    },
  ];
}

describe('POST /api/csp-reports', async () => {
  it('stores a report-uri (application/csp-report) violation and answers 204, without a session or CSRF token', async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify(cspReport()),
    });
    assert.equal(res.statusCode, 204, res.body);
    const [row] = await db.select().from(cspReports).orderBy(desc(cspReports.receivedAt));
    assert.ok(row, 'the violation is stored');
    assert.equal(row.format, 'csp-report');
    assert.equal(row.effectiveDirective, 'script-src-elem');
    assert.equal(row.blockedUri, 'https://evil.example/skimmer.js');
    assert.equal(row.lineNumber, 12);
  });

  it('stores page URLs without query or fragment, so a Stripe client secret or an email never lands in the table', async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify(cspReport()),
    });
    assert.equal(res.statusCode, 204);
    const rows = await db.select().from(cspReports);
    const stored = JSON.stringify(rows);
    assert.equal(rows[0]?.documentUri, 'http://127.0.0.1:3000/checkout/complete');
    assert.doesNotMatch(stored, /secret|pi_123|shopper@example\.test|frag/);
  });

  it('stores a Reporting API batch (application/reports+json) with card numbers masked in the sample', async (t) => {
    const { app, db, logs } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/reports+json' },
      payload: JSON.stringify(reportsBatch()),
    });
    assert.equal(res.statusCode, 204, res.body);
    const [row] = await db.select().from(cspReports);
    assert.equal(row?.format, 'reports+json');
    assert.equal(row?.blockedUri, 'inline');
    assert.ok(row?.sample, 'the sample is kept for forensics');
    // Non-negotiable 1: no PAN in any row or log line, even one an attacker's script carried.
    assert.doesNotMatch(JSON.stringify(row), /4242 ?4242 ?4242 ?4242/);
    assert.doesNotMatch(logs.text(), /4242 ?4242 ?4242 ?4242/);
    assert.match(logs.text(), /content security policy violation/);
  });

  it('refuses a report with an unknown field (400 validation_failed) and stores nothing', async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify(cspReport({ 'stolen-data': 'x' })),
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'validation_failed');
    assert.equal((await db.select().from(cspReports)).length, 0);
  });

  it('refuses malformed JSON with 400 invalid_json and another content type with 415', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const bad = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: '{"csp-report": ',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_json');
    const other = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.equal(other.statusCode, 415);
    assert.equal(other.json().error.code, 'unsupported_media_type');
  });

  it(`refuses a body over ${CSP_REPORT_BODY_LIMIT} bytes with 413 before parsing it`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const huge = JSON.stringify(cspReport({ 'script-sample': 'x'.repeat(CSP_REPORT_BODY_LIMIT) }));
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: huge,
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'body_too_large');
    assert.equal((await db.select().from(cspReports)).length, 0);
  });

  it(`answers 429 after ${CSP_REPORTS_PER_MINUTE} reports a minute from one address, and stores no more`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const send = (remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/api/csp-reports',
        remoteAddress,
        headers: { 'content-type': 'application/csp-report' },
        payload: JSON.stringify(cspReport()),
      });
    for (let i = 0; i < CSP_REPORTS_PER_MINUTE; i++) assert.equal((await send('203.0.113.7')).statusCode, 204);
    const refused = await send('203.0.113.7');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'rate_limited');
    assert.equal((await db.select().from(cspReports)).length, CSP_REPORTS_PER_MINUTE);
    // Another address still reports: the limit is per client, not a global off switch.
    assert.equal((await send('203.0.113.8')).statusCode, 204);
  });
});
