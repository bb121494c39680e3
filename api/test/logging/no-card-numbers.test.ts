import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkedOutOrder } from '../support/paid-order.js';
import { buildPaymentsTestApp } from '../support/payments-app.js';
import { findValuesInDatabase } from '../support/pii-scan.js';
import { StripeDouble } from '../support/stripe-double.js';

// ARCHITECTURE non-negotiable 1 (PCI DSS v4.0.1 3.2, 3.3, 3.4): no primary account number in
// any request we keep, log line, database row or message. Luhn-valid numbers are fed into
// every route the OpenAPI document lists (every path parameter, query parameter and body
// field, nested ones too), into headers, a signed webhook and a CSP report; then the log
// stream, every answer and every text column of every table are searched for them.

// Stripe's documented test numbers: Luhn-valid, never real cards.
const PANS = ['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117'];
const SPACED = '4000 0566 5566 5556';
const DASHED = '3056-9300-0902-0004';
const FORMS = [...PANS, SPACED, DASHED];

/** Each PAN with any run of spaces or dashes between its digits. */
const PAN_PATTERNS = [...PANS, SPACED.replace(/ /g, ''), DASHED.replace(/-/g, '')].map(
  (digits) => new RegExp(digits.split('').join('[ -]*')),
);

function findPans(text: string): string[] {
  return PAN_PATTERNS.filter((p) => p.test(text)).map((p) => p.source);
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };

let n = 0;
const nextPan = () => FORMS[n++ % FORMS.length] as string;

/** A value of the schema's shape where every string (and every key we may add) carries a PAN. */
function withPans(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 5) return nextPan();
  if (schema.anyOf?.[0]) return withPans(schema.anyOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) {
    const entries = Object.entries(schema.properties ?? {}).map(([k, s]) => [k, withPans(s, depth + 1)]);
    return Object.fromEntries([...entries, ['card', nextPan()]]);
  }
  if (type === 'array') return [withPans(schema.items, depth + 1)];
  if (type === 'integer' || type === 'number') return Number(PANS[0]);
  return nextPan();
}

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

describe('[C-002] card numbers (non-negotiable 1)', () => {
  it('never reach a log line, an answer or a database row, whatever route, field or header carries them', async (t) => {
    const { app, db, ownerUrl, logs, client } = await buildPaymentsTestApp(t, {
      stripeEnv: stripe.env(),
      deps: {},
    });
    const shopper = client();
    const { paymentIntentId } = await checkedOutOrder(shopper, db, stripe);

    const doc = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json<{
      paths: Record<string, Record<string, Operation>>;
    }>();
    const answers: string[] = [];
    let requests = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const url = path.replace(/\{[^}]+\}/g, () => encodeURIComponent(nextPan()));
        const query = Object.fromEntries(
          (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, nextPan()]),
        );
        query.card = nextPan();
        const content = op.requestBody?.content ?? {};
        const type = Object.keys(content)[0];
        const body = type ? withPans(content[type]?.schema) : undefined;
        const res = await shopper.request({
          method: method.toUpperCase() as 'GET',
          url,
          query,
          headers: {
            'user-agent': `shop-test ${nextPan()}`,
            referer: `https://shop.example/checkout?card=${nextPan()}`,
            ...(type ? { 'content-type': type } : {}),
          },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
        requests++;
        assert.ok(res.statusCode < 500, `${method.toUpperCase()} ${path} answered ${res.statusCode}: ${res.body}`);
        answers.push(`${method} ${path} ${res.statusCode} ${res.body}`);
      }
    }
    assert.ok(requests >= 15, `expected every documented route, sent ${requests} requests`);

    // A signed webhook whose event carries PANs (metadata, description): verified, handled, not kept.
    const intent = stripe.intents.get(paymentIntentId) as unknown as Record<string, unknown>;
    const event = stripe.event('payment_intent.succeeded', {
      ...intent,
      description: `card ${nextPan()}`,
      metadata: { ...(intent.metadata as object), note: nextPan() },
    });
    const { payload, signature } = stripe.sign(event);
    const hook = await app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    });
    assert.ok(hook.statusCode < 500, hook.body);
    answers.push(hook.body);

    // A CSP report naming a PAN in the page address and the blocked script's address.
    const report = await app.inject({
      method: 'POST',
      url: '/api/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify({
        'csp-report': {
          'document-uri': `https://shop.example/checkout?pan=${nextPan()}`,
          'blocked-uri': `https://evil.example/skim.js?c=${nextPan()}`,
          'violated-directive': 'script-src-elem',
          'effective-directive': 'script-src-elem',
          'original-policy': "script-src 'self'",
          disposition: 'enforce',
          'status-code': 200,
          'script-sample': `var c="${nextPan()}"`,
        },
      }),
    });
    assert.equal(report.statusCode, 204, report.body);

    await new Promise((r) => setTimeout(r, 100));
    assert.ok(logs.lines.length > requests, 'the log stream was captured');
    assert.deepEqual(findPans(logs.text()), [], 'card numbers in the log stream');
    assert.deepEqual(findPans(answers.join('\n')), [], 'card numbers echoed in answers');
    const digitsOnly = [...PANS, SPACED.replace(/ /g, ''), DASHED.replace(/-/g, '')];
    const hits = await findValuesInDatabase(ownerUrl, [...digitsOnly, SPACED, DASHED]);
    assert.deepEqual(hits, [], 'card numbers stored in the shop database');
  });
});
