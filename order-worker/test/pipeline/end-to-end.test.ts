import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { outbox } from '@shop/api/db/schema';
import { loadTlsMaterial } from '@shop/shared/mtls';
import { discardLog, TEST_AMQP_URL, uniqueName, waitFor } from '@shop/shared/test-harness';
import { TokenizerClient } from '../../../api/src/pii/tokenizer-client.js';
import { orderRow } from '../../../api/test/support/paid-order.js';
import {
  ADDRESS,
  buildPaymentsTestApp,
  seedProducts,
  signedInShopper,
} from '../../../api/test/support/payments-app.js';
import { StripeDouble } from '../../../api/test/support/stripe-double.js';
import { startTokenizer } from '../../../vault-tokenizer/test/helper.js';
import { loadWorkerConfig } from '../../src/config.js';
import { startOrderWorker } from '../../src/server.js';
import { quietLogger, requireRabbit, stockOf, testTopology } from '../support/pipeline-harness.js';
import { SmtpSink } from '../support/smtp-sink.js';

const stripe = new StripeDouble();
before(async () => {
  await requireRabbit();
  await stripe.start();
});
after(() => stripe.stop());

/**
 * cart -> checkout -> (double) payment succeeds -> signed webhook -> outbox -> [RabbitMQ] ->
 * order-worker -> order ready to ship, and its confirmation mail, composed by the worker from
 * the real tokenizer, received by a real SMTP server.
 */
async function journey(t: TestContext, amqp: boolean): Promise<void> {
  // 1. The real tokenizer (the api tokenizes with its certificate, the worker reads back with
  //    its own), the api (real buildApp) and a shopper with a cart filled through the cart routes.
  const tokenizer = await startTokenizer({ logStream: discardLog() });
  const smtp = await new SmtpSink().start();
  const ca = tokenizer.ca;
  const tokenizerUrl = `https://127.0.0.1:${tokenizer.port}`;
  const pii = new TokenizerClient({
    url: tokenizerUrl,
    tls: await loadTlsMaterial({ caFile: ca.caFile, certFile: ca.certFile('api'), keyFile: ca.keyFile('api') }),
  });
  const { app, db, client, ownerUrl, defer } = await buildPaymentsTestApp(t, {
    stripeEnv: stripe.env(),
    pii: null,
    deps: { pii },
  });
  // Run after the worker's stop (registered below, so it runs first).
  defer(async () => {
    pii.close();
    await smtp.stop();
    await tokenizer.close();
  });
  const shopper = client();
  await signedInShopper(shopper, db);
  const [mug, tee] = await seedProducts(db, [
    { priceMinor: 1200, stock: 10 },
    { priceMinor: 2500, stock: 5 },
  ]);
  for (const [productId, quantity] of [
    [mug, 2],
    [tee, 1],
  ] as const) {
    const r = await shopper.request({ method: 'POST', url: '/api/cart/items', payload: { productId, quantity } });
    assert.ok(r.statusCode < 300, r.body);
  }

  // 2. The order-worker, as its own role, in the mode under test.
  const workerUrl = new URL(ownerUrl);
  workerUrl.username = 'shop_order_worker';
  const topology = amqp ? testTopology(t) : undefined;
  const worker = await startOrderWorker(
    loadWorkerConfig({
      WORKER_DATABASE_URL: workerUrl.toString(),
      AMQP_URL: amqp ? TEST_AMQP_URL : undefined,
      AMQP_TOPOLOGY_PREFIX: topology ? topology.exchange.replace(/\.orders$/, '') : uniqueName('unused'),
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      TOKENIZER_URL: tokenizerUrl,
      TOKENIZER_CA_FILE: ca.caFile,
      TOKENIZER_CERT_FILE: ca.certFile('order-worker'),
      TOKENIZER_KEY_FILE: ca.keyFile('order-worker'),
    }),
    { log: quietLogger() },
  );
  assert.equal(worker.mode, amqp ? 'amqp' : 'embedded');
  // Stopped before the api's database is dropped.
  defer(() => worker.stop());

  // 3. Checkout: the server prices the cart; the shopper gets a client secret.
  const checkout = await shopper.request({
    method: 'POST',
    url: '/api/checkout',
    payload: { shippingAddress: ADDRESS },
  });
  assert.equal(checkout.statusCode, 200, checkout.body);
  const { orderId, clientSecret } = checkout.json<{ orderId: string; clientSecret: string }>();
  const intent = [...stripe.intents.values()].find((i) => i.client_secret === clientSecret);
  assert.equal(intent?.amount, 2 * 1200 + 2500);

  // 4. The shopper pays in Stripe's fields (the double), and Stripe sends the signed webhook.
  stripe.succeed(intent.id);
  const { payload, signature } = stripe.sign(stripe.event('payment_intent.succeeded', intent));
  const hook = await app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
  assert.equal(hook.statusCode, 200, hook.body);

  // 5. The worker fulfils it (stock reserved, ready to ship) and mails the confirmation.
  await waitFor(
    'order ready to ship',
    async () => (await orderRow(db, orderId)).status,
    (s) => s === 'ready_to_ship',
    30_000,
  );
  assert.equal(await stockOf(db, mug as string), 8);
  assert.equal(await stockOf(db, tee as string), 4);
  const seen = await shopper.request({ method: 'GET', url: `/api/orders/${orderId}` });
  assert.equal(seen.statusCode, 200, seen.body);
  assert.equal(seen.json().status, 'ready_to_ship');
  const me = (await shopper.request({ method: 'GET', url: '/api/me' })).json<{ email?: string }>();
  // The signup's verification mail arrives too; the order's confirmation comes once.
  const confirmations = () => smtp.received.filter((m) => /^Your order /.test(m.parsed.subject ?? ''));
  await waitFor(
    'the confirmation mail',
    async () => confirmations().length,
    (n) => n >= 1,
    30_000,
  );
  assert.equal(confirmations().length, 1);
  const mail = confirmations()[0];
  assert.match(mail?.to[0] ?? '', /^shopper\..+@example\.test$/, 'to the address given at signup');
  if (me.email) assert.deepEqual(mail?.to, [me.email]);
  const text = mail?.parsed.text ?? '';
  assert.ok(text.includes(orderId) && text.includes('2 x Product 0') && text.includes('1 x Product 1'), text);
  assert.ok(text.includes(`Shipping to ${ADDRESS.name}, ${ADDRESS.city}.`), text);
  assert.ok(!text.includes(ADDRESS.line1) && !text.includes(ADDRESS.postalCode), 'name and city only');
  // The pipeline carried ids only: the outbox row of the event names no person.
  const rows = await db.select().from(outbox);
  for (const row of rows) assert.doesNotMatch(JSON.stringify(row.payload), /@|Lovelace|London/);
}

describe('order pipeline end to end', () => {
  it('takes a cart to a fulfilled order through checkout, the signed webhook, the outbox, RabbitMQ and the order-worker', async (t) => {
    await journey(t, true);
  });

  it('does the same with AMQP_URL unset, the worker claiming outbox rows from PostgreSQL', async (t) => {
    await journey(t, false);
  });
});
