import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import tls from 'node:tls';
import { Allowlist } from '@shop/egress-proxy/allowlist';
import { createEgressProxy } from '@shop/egress-proxy/proxy';
import { loadConfig } from '@shop/shared/config';
import { loggerOptions } from '@shop/shared/logger';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { eventually, LogCapture } from '@shop/shared/test-harness';
import pino from 'pino';
import { PaymentsConfigSchema } from '../../src/payments/payments-config.js';
import { createStripeClient } from '../../src/payments/stripe-client.js';
import { paymentsErrorFrom } from '../../src/payments/stripe-errors.js';
import { StripeDouble } from '../support/stripe-double.js';

// Control C-052 from the api's side: with STRIPE_PROXY_URL set (compose sets it; the api has no
// other way out), every Stripe call is a CONNECT through the egress proxy to Stripe's host:port,
// and TLS runs from the Stripe client to Stripe inside the tunnel (PCI DSS v4.0.1 1.3.2, 4.2.1).
// The double speaks HTTPS only, under the name `localhost`, with a certificate of a throwaway
// development CA that this test process (and only it) trusts.

// Node >= 22.15 (the suite runs on 24): the types of @types/node 20 do not list these yet.
const defaultCa = tls as typeof tls & {
  getCACertificates?: (type: 'default') => string[];
  setDefaultCACertificates?: (certs: string[]) => void;
};

let dir: string;
const stripe = { double: undefined as unknown as StripeDouble };

before(async () => {
  if (!defaultCa.setDefaultCACertificates || !defaultCa.getCACertificates) {
    throw new Error('this test needs tls.setDefaultCACertificates: run it on Node 24 (the suite does)');
  }
  dir = await mkdtemp(join(tmpdir(), 'stripe-proxy-'));
  const ca = await new DevCertificateAuthority(dir, 'Stripe Double Test CA').init();
  await ca.issue('stripe-double', { server: true });
  const material = await ca.material('stripe-double');
  defaultCa.setDefaultCACertificates([...defaultCa.getCACertificates('default'), material.ca.toString('utf8')]);
  stripe.double = await new StripeDouble({
    tls: { cert: material.cert, key: material.key },
    host: 'localhost',
  }).start();
});
after(async () => {
  await stripe.double?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The egress proxy in this process, allowing `allow`, with its log lines captured. */
async function egressProxy(t: TestContext, allow: string) {
  const logs = new LogCapture();
  const proxy = createEgressProxy(
    { allow: new Allowlist(allow), connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, maxTunnels: 16 },
    { log: pino(loggerOptions({ service: 'egress-proxy' }), logs) },
  );
  const { port } = await proxy.listen(0, '127.0.0.1');
  t.after(() => proxy.close());
  return { proxy, logs, url: `http://127.0.0.1:${port}` };
}

describe('the Stripe client through the egress proxy (STRIPE_PROXY_URL)', () => {
  it('[C-052] sends each Stripe call as a CONNECT to Stripe host:port through the proxy, TLS end to end (PCI DSS 1.3.2)', async (t) => {
    const double = stripe.double;
    const target = `localhost:${double.port}`;
    const { proxy, logs, url } = await egressProxy(t, target);
    const client = createStripeClient(loadConfig(PaymentsConfigSchema, { ...double.env(), STRIPE_PROXY_URL: url }));
    assert.ok(client);
    const before = double.requests.length;

    const created = await client.paymentIntents.create(
      { amount: 2500, currency: 'eur', metadata: { order_id: 'order-proxy-1' } },
      { idempotencyKey: 'proxy-test-1' },
    );
    const read = await client.paymentIntents.retrieve(created.id);
    assert.equal(read.id, created.id);
    assert.equal(read.amount, 2500);

    // They arrived at the double, which speaks HTTPS only: the client did TLS to it.
    assert.deepEqual(
      double.requests.slice(before).map((r) => `${r.method} ${r.path}`),
      ['POST /v1/payment_intents', `GET /v1/payment_intents/${created.id}`],
    );
    // And the proxy saw exactly that: one CONNECT per call, to the double's host:port, and nothing else.
    await eventually(() => assert.equal(proxy.openTunnels(), 0));
    const lines = logs.parsed();
    assert.equal(lines.length, 2, logs.text());
    for (const line of lines) {
      assert.equal(line.event, 'egress.tunnel');
      assert.equal(line.target, target);
      assert.equal(line.outcome, 'closed');
      assert.ok((line.bytesUp as number) > 0 && (line.bytesDown as number) > 0, JSON.stringify(line));
    }
    // The proxy carried the calls without reading them: no key, no path, no id in its log.
    for (const needle of [double.secretKey, 'payment_intents', created.id, 'order-proxy-1']) {
      assert.ok(!logs.text().includes(needle), `${needle} in the proxy's log`);
    }
  });

  it('[C-052] a Stripe call the proxy does not allow fails and never reaches Stripe: the client has no way around the proxy (PCI DSS 1.3.2)', async (t) => {
    const double = stripe.double;
    // The proxy allows another port only: the double's own port is not on its list.
    const { logs, url } = await egressProxy(t, `localhost:${double.port === 65_535 ? 1 : double.port + 1}`);
    const client = createStripeClient(loadConfig(PaymentsConfigSchema, { ...double.env(), STRIPE_PROXY_URL: url }));
    assert.ok(client);
    const before = double.requests.length;

    // The proxy's one-word refusal is not Stripe JSON: the api answers it as Stripe unavailable.
    await assert.rejects(client.paymentIntents.create({ amount: 2500, currency: 'eur' }), (err: unknown) => {
      assert.equal((paymentsErrorFrom(err) as Error & { code?: string }).code, 'PAYMENTS_UNAVAILABLE');
      return true;
    });
    assert.equal(double.requests.length, before, 'the call reached the double without the proxy');
    const refused = logs.parsed();
    assert.ok(refused.length >= 1, logs.text());
    for (const line of refused) {
      assert.equal(line.event, 'egress.refused');
      assert.equal(line.reason, 'denied');
      assert.equal(line.target, `localhost:${double.port}`);
    }
  });

  it('[C-052] takes STRIPE_PROXY_URL only as http://host[:port], with no credentials, path or other scheme (PCI DSS 1.3.2)', () => {
    for (const value of [
      'https://egress-proxy:3128',
      'socks5://egress-proxy:1080',
      'http://user:secret@egress-proxy:3128',
      'http://egress-proxy:3128/path',
      'egress-proxy:3128',
    ]) {
      assert.throws(() => loadConfig(PaymentsConfigSchema, { STRIPE_PROXY_URL: value }), /STRIPE_PROXY_URL/, value);
    }
    assert.equal(
      loadConfig(PaymentsConfigSchema, { STRIPE_PROXY_URL: 'http://egress-proxy:3128' }).STRIPE_PROXY_URL,
      'http://egress-proxy:3128',
    );
  });
});
