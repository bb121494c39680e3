// POST /api/csp-reports: the browser side of PCI DSS v4.0.1 11.6.1 (alert on unauthorised
// change of the payment page as the shopper's browser sees it). The endpoint takes input from
// anyone, so it is size-bounded, schema-validated and rate-limited, and stores no secrets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desc, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { cspReportCounts, cspReports } from '../../../src/db/schema/csp-reports.js';
import { CSP_REPORT_BODY_LIMIT, CSP_REPORTS_PER_MINUTE } from '../../../src/routes/csp-reports/index.js';
import {
  CSP_REPORTS_MAX_ROWS,
  CSP_REPORTS_STORED_PER_CLIENT_PER_DAY,
} from '../../../src/routes/csp-reports/report-store.js';
import { buildStorefrontApp } from '../../support/storefront-stack.js';

// Reports are about our own pages: the tests' requests name the shop's host.
const HOST = '127.0.0.1:3000';
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

/** POSTs a report the way a browser does: `body` is sent as JSON unless it is already a string. */
function postReport(
  app: Pick<FastifyInstance, 'inject'>,
  body: unknown,
  opts: { type?: string; remoteAddress?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/csp-reports',
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    headers: { host: HOST, 'content-type': opts.type ?? 'application/csp-report' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /api/csp-reports', async () => {
  it('stores a report-uri (application/csp-report) violation and answers 204, without a session or CSRF token', async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await postReport(app, cspReport());
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
    const res = await postReport(app, cspReport());
    assert.equal(res.statusCode, 204);
    const rows = await db.select().from(cspReports);
    const stored = JSON.stringify(rows);
    assert.equal(rows[0]?.documentUri, 'http://127.0.0.1:3000/checkout/complete');
    assert.doesNotMatch(stored, /secret|pi_123|shopper@example\.test|frag/);
  });

  it('stores a Reporting API batch (application/reports+json) with card numbers masked in the sample', async (t) => {
    const { app, db, logs } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await postReport(app, reportsBatch(), { type: 'application/reports+json' });
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
    const res = await postReport(app, cspReport({ 'stolen-data': 'x' }));
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'validation_failed');
    assert.equal((await db.select().from(cspReports)).length, 0);
  });

  it('refuses malformed JSON with 400 invalid_json and another content type with 415', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const bad = await postReport(app, '{"csp-report": ');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_json');
    const other = await postReport(app, 'hello', { type: 'text/plain' });
    assert.equal(other.statusCode, 415);
    assert.equal(other.json().error.code, 'unsupported_media_type');
  });

  it(`refuses a body over ${CSP_REPORT_BODY_LIMIT} bytes with 413 before parsing it`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const huge = JSON.stringify(cspReport({ 'script-sample': 'x'.repeat(CSP_REPORT_BODY_LIMIT) }));
    const res = await postReport(app, huge);
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'body_too_large');
    assert.equal((await db.select().from(cspReports)).length, 0);
  });

  it(`answers 429 after ${CSP_REPORTS_PER_MINUTE} reports a minute from one address, and stores no more`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const send = (remoteAddress: string) => postReport(app, cspReport(), { remoteAddress });
    for (let i = 0; i < CSP_REPORTS_PER_MINUTE; i++) assert.equal((await send('203.0.113.7')).statusCode, 204);
    const refused = await send('203.0.113.7');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'rate_limited');
    assert.equal((await db.select().from(cspReports)).length, CSP_REPORTS_PER_MINUTE);
    // Another address still reports: the limit is per client, not a global off switch.
    assert.equal((await send('203.0.113.8')).statusCode, 204);
  });

  // [pentest 8.4]: an unauthenticated endpoint that stores and logs what it is sent must not
  // become a way to put card numbers or emails into the log and the table (non-negotiable 1;
  // PCI DSS v4.0.1 3.3, 11.6.1), nor a way to bury real reports under fake ones.
  const PAN = '4111-1111-1111-1111';
  const EMAIL = 'victim.csp@example.test';

  it('[pentest 8.4] a report with card numbers or emails in any field stores and logs none of them', async (t) => {
    const { app, db, logs } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { host: HOST, 'content-type': 'application/csp-report' },
      payload: JSON.stringify(
        cspReport({
          'document-uri': `http://127.0.0.1:3000/checkout/${PAN}/${EMAIL}?card=${PAN}`,
          'violated-directive': `script-src-elem ${PAN} ${EMAIL}`,
          'effective-directive': 'script-src-elem',
          'blocked-uri': `https://evil.example/${PAN}/${encodeURIComponent(EMAIL)}.js?e=${EMAIL}`,
          'source-file': `http://127.0.0.1:3000/${EMAIL}/${PAN}`,
          'script-sample': `x="${PAN}";y="${EMAIL}"`,
        }),
      ),
    });
    assert.equal(res.statusCode, 204, res.body);
    const batch = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { host: HOST, 'content-type': 'application/reports+json' },
      payload: JSON.stringify([
        {
          type: 'csp-violation',
          url: `http://127.0.0.1:3000/${EMAIL}`,
          user_agent: `agent ${PAN} ${EMAIL}`,
          body: {
            documentURL: `http://127.0.0.1:3000/account/${EMAIL}`,
            blockedURL: `wss://${EMAIL}/${PAN}`,
            effectiveDirective: 'connect-src',
            sourceFile: `https://js.stripe.com/${PAN}`,
            sample: `${EMAIL} ${PAN}`,
            disposition: 'report',
          },
        },
      ]),
    });
    assert.equal(batch.statusCode, 204, batch.body);
    const rows = await db.select().from(cspReports);
    assert.equal(rows.length, 2, 'both reports concern our pages and are kept, reduced');
    const digits = PAN.replace(/-/g, '');
    const stored = JSON.stringify(rows);
    const logged = logs.text();
    for (const [where, text] of [
      ['table', stored],
      ['log', logged],
    ] as const) {
      assert.ok(!text.replace(/[ -]/g, '').includes(digits), `a card number in the ${where}: ${text}`);
      assert.ok(!text.includes('victim.csp') && !text.includes('victim'), `an email in the ${where}`);
    }
    const first = rows.find((r) => r.format === 'csp-report');
    assert.equal(first?.violatedDirective, 'script-src-elem', 'only the directive name is kept');
    assert.equal(rows.find((r) => r.format === 'reports+json')?.blockedUri, 'other');
    assert.match(logged, /content security policy violation/);
  });

  it('[pentest 8.4] drops a report whose document is not our origin, or whose directive is not a CSP directive', async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    for (const overrides of [
      { 'document-uri': 'https://evil.example/checkout' },
      { 'document-uri': 'http://127.0.0.1:3001/checkout' },
      { 'document-uri': 'not a url' },
      { 'effective-directive': `card ${PAN}`, 'violated-directive': 'nonsense' },
    ]) {
      const res = await postReport(app, cspReport(overrides));
      assert.equal(res.statusCode, 204, 'browsers get the same answer either way');
    }
    assert.equal((await db.select().from(cspReports)).length, 0);
  });

  it(`[pentest 8.4] a flood from one client stores at most ${CSP_REPORTS_STORED_PER_CLIENT_PER_DAY} reports a day and leaves room for another client's report`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    const batch = (n: number) => Array.from({ length: n }, () => reportsBatch()[0]);
    const send = (remoteAddress: string, payload: unknown) =>
      postReport(app, payload, { type: 'application/reports+json', remoteAddress });
    const batches = Math.ceil(CSP_REPORTS_STORED_PER_CLIENT_PER_DAY / 20) + 2;
    for (let i = 0; i < batches; i++) assert.equal((await send('198.51.100.9', batch(20))).statusCode, 204);
    assert.equal((await db.select().from(cspReports)).length, CSP_REPORTS_STORED_PER_CLIENT_PER_DAY);
    assert.equal((await send('198.51.100.10', batch(1))).statusCode, 204);
    assert.equal((await db.select().from(cspReports)).length, CSP_REPORTS_STORED_PER_CLIENT_PER_DAY + 1);
    const [flood] = await db.select().from(cspReportCounts).where(eq(cspReportCounts.client, '198.51.100.9'));
    assert.equal(flood?.received, batches * 20, 'every report is counted per client');
    assert.equal(flood?.stored, CSP_REPORTS_STORED_PER_CLIENT_PER_DAY);
  });

  it(`[pentest 8.4] keeps at most ${CSP_REPORTS_MAX_ROWS} reports, pruning the oldest`, async (t) => {
    const { app, db } = await buildStorefrontApp(t, { payments: false });
    await app.ready();
    await db.execute(sql`
      insert into csp_reports (received_at, format, document_uri, blocked_uri, effective_directive, disposition)
      select now() - interval '1 day' - make_interval(secs => g), 'csp-report', 'http://127.0.0.1:3000/old',
             'inline', 'script-src', 'enforce'
      from generate_series(1, ${CSP_REPORTS_MAX_ROWS}) g`);
    const res = await postReport(app, cspReport());
    assert.equal(res.statusCode, 204, res.body);
    const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(cspReports);
    assert.equal(count?.n, CSP_REPORTS_MAX_ROWS);
    const [newest] = await db.select().from(cspReports).orderBy(desc(cspReports.receivedAt)).limit(1);
    assert.equal(newest?.documentUri, 'http://127.0.0.1:3000/checkout/complete', 'the new report is kept');
  });
});
