import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { TEST_AMQP_URL, uniqueName } from '@shop/shared/test-harness';
import { orderRow } from '../../../api/test/support/paid-order.js';
import {
  ADDRESS,
  buildPaymentsTestApp,
  seedProducts,
  signedInShopper,
} from '../../../api/test/support/payments-app.js';
import { StripeDouble } from '../../../api/test/support/stripe-double.js';
import { loadWorkerConfig } from '../../src/config.js';
import { startOrderWorker } from '../../src/server.js';
import { quietLogger, requireRabbit, stockOf, testTopology, waitFor } from '../support/pipeline-harness.js';

const stripe = new StripeDouble();
before(async () => {
  await requireRabbit();
  await stripe.start();
});
after(() => stripe.stop());

/**
 * cart -> checkout -> (double) payment succeeds -> signed webhook -> outbox -> [RabbitMQ] ->
 * order-worker -> order ready to ship, with the confirmation mail in the local folder.
 */
async function journey(t: TestContext, amqp: boolean): Promise<void> {
  // 1. The api (real buildApp) and a shopper with a cart filled through the cart routes.
  const { app, db, client, ownerUrl, defer } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
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
  const mailDir = await mkdtemp(join(tmpdir(), 'mail-'));
  const topology = amqp ? testTopology(t) : undefined;
  const worker = await startOrderWorker(
    loadWorkerConfig({
      WORKER_DATABASE_URL: workerUrl.toString(),
      AMQP_URL: amqp ? TEST_AMQP_URL : undefined,
      AMQP_TOPOLOGY_PREFIX: topology ? topology.exchange.replace(/\.orders$/, '') : uniqueName('unused'),
      MAIL_DIR: mailDir,
    }),
    { log: quietLogger() },
  );
  assert.equal(worker.mode, amqp ? 'amqp' : 'embedded');
  // Stopped before the api's database is dropped.
  defer(async () => {
    await worker.stop();
    await rm(mailDir, { recursive: true, force: true });
  });

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

  // 5. The worker fulfils it: stock reserved, ready to ship, confirmation queued locally.
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
  const mails = await readdir(mailDir);
  assert.equal(mails.length, 1);
  const mail = await readFile(join(mailDir, mails[0] as string), 'utf8');
  assert.match(mail, new RegExp(orderId));
  // The mail record names the recipient by id: no personal data in the pipeline's files.
  for (const value of Object.values(ADDRESS)) assert.equal(mail.includes(value), false, value);
  assert.doesNotMatch(mail, /@/);
}

describe('order pipeline end to end', () => {
  it('takes a cart to a fulfilled order through checkout, the signed webhook, the outbox, RabbitMQ and the order-worker', async (t) => {
    await journey(t, true);
  });

  it('does the same with AMQP_URL unset, the worker claiming outbox rows from PostgreSQL', async (t) => {
    await journey(t, false);
  });
});
