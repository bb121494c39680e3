import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { orderItems, orders } from '../../../src/db/schema/index.js';
import { STRIPE_API_VERSION } from '../../../src/payments/stripe-client.js';
import { PiiUnavailableError } from '../../../src/pii/pii-client.js';
import {
  ADDRESS,
  buildPaymentsTestApp,
  FakePii,
  fillCart,
  seedProducts,
  signedInShopper,
} from '../../support/payments-app.js';
import { StripeDouble } from '../../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

function intentCreates(orderId: string) {
  return stripe.requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.path === '/v1/payment_intents' &&
      (r.params.metadata as Record<string, string>)?.order_id === orderId,
  );
}

describe('POST /api/checkout', () => {
  it('[C-027] prices the cart from the database and opens one PaymentIntent keyed by the order, with only the order id as metadata', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a, b] = await seedProducts(db, [{ priceMinor: 1250 }, { priceMinor: 399 }]);
    await fillCart(db, userId, [
      { productId: a as string, quantity: 2 },
      { productId: b as string, quantity: 1 },
    ]);

    const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ orderId: string; clientSecret: string; publishableKey: string }>();
    assert.deepEqual(Object.keys(body).sort(), ['clientSecret', 'orderId', 'publishableKey']);
    assert.equal(body.publishableKey, stripe.publishableKey);

    const [create] = intentCreates(body.orderId);
    assert.ok(create, 'a PaymentIntent was created for the order');
    assert.equal(create.params.amount, String(2 * 1250 + 399));
    assert.equal(create.params.currency, 'eur');
    assert.deepEqual(create.params.metadata, { order_id: body.orderId });
    assert.deepEqual(create.params.automatic_payment_methods, { enabled: 'true' });
    assert.equal(create.idempotencyKey, `order-${body.orderId}-create-rev-0`);
    assert.equal(create.apiVersion, STRIPE_API_VERSION);
    const intent = [...stripe.intents.values()].find((i) => i.metadata.order_id === body.orderId);
    assert.equal(body.clientSecret, intent?.client_secret);

    const [order] = await db.select().from(orders).where(eq(orders.id, body.orderId));
    assert.equal(order?.status, 'pending_payment');
    assert.equal(order?.totalMinor, 2899);
    assert.equal(order?.paymentIntentId, intent?.id);
    // Personal data only as a token (ARCHITECTURE: data placement).
    assert.match(order?.shippingAddressToken ?? '', /^tok_shipping_address_/);
    assert.doesNotMatch(JSON.stringify(order), /Lovelace|James Square/);
    const lines = await db.select().from(orderItems).where(eq(orderItems.orderId, body.orderId));
    assert.equal(lines.length, 2);
  });

  it('reuses the open order and its PaymentIntent on a second checkout, and updates the amount when the cart changed', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 1000 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    const first = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    const again = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().orderId, first.json().orderId);
    assert.equal(again.json().clientSecret, first.json().clientSecret);

    await fillCart(db, userId, [{ productId: a as string, quantity: 3 }]);
    const changed = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    const orderId = changed.json().orderId;
    assert.equal(orderId, first.json().orderId);
    assert.equal(intentCreates(orderId).length, 1, 'one PaymentIntent per order');
    const intent = [...stripe.intents.values()].find((i) => i.metadata.order_id === orderId);
    assert.equal(intent?.amount, 3000);
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    assert.equal(order?.totalMinor, 3000);
    assert.equal((await db.select().from(orders).where(eq(orders.userId, userId))).length, 1);
  });

  it('opens one order and one PaymentIntent when the shopper submits checkout five times at once', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 700 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    await shopper.csrfToken();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } }),
      ),
    );
    for (const r of answers) assert.equal(r.statusCode, 200, r.body);
    assert.equal(new Set(answers.map((r) => r.json().orderId)).size, 1);
    assert.equal(new Set(answers.map((r) => r.json().clientSecret)).size, 1);
    assert.equal(intentCreates(answers[0]?.json().orderId).length >= 1, true);
    const pis = [...stripe.intents.values()].filter((i) => i.metadata.order_id === answers[0]?.json().orderId);
    assert.equal(pis.length, 1);
  });

  it('refuses a body carrying a Luhn-valid card number with card_data_refused and logs the refusal without the number (PCI DSS 3.2, 4.2)', async (t) => {
    const { client, db, logs } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 500 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    const pans = ['4242424242424242', '4000 0566 5566 5556', '378282246310005'];
    for (const [i, pan] of pans.entries()) {
      const payload =
        i === 0
          ? { shippingAddress: ADDRESS, cardNumber: pan }
          : { shippingAddress: { ...ADDRESS, line2: `card ${pan}` } };
      const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'card_data_refused');
    }
    const text = logs.text();
    assert.match(text, /card_data_refused/);
    for (const pan of pans) {
      assert.equal(text.includes(pan), false, 'the number never reaches the log');
      assert.equal(text.includes(pan.replaceAll(' ', '')), false);
    }
    assert.equal((await db.select().from(orders).where(eq(orders.userId, userId))).length, 0, 'no order opened');
  });

  it('answers 503 payments_not_configured without Stripe keys', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: {} });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 500 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'payments_not_configured');
  });

  it('answers 503 tokenizer_unavailable and opens no order when the tokenizer refuses', async (t) => {
    const pii = new FakePii();
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env(), pii });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 500 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    pii.failWith = new PiiUnavailableError('tokenizer down');
    const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.json().error.code, 'tokenizer_unavailable');
    assert.equal((await db.select().from(orders).where(eq(orders.userId, userId))).length, 0);
  });

  it('refuses anonymous shoppers, unknown fields, a bad address and an empty cart with stable 4xx codes', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const anonymous = client();
    const anon = await anonymous.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.json().error.code, 'unauthenticated');

    const shopper = client();
    await signedInShopper(shopper, db);
    const cases: [unknown, number, string][] = [
      [{ shippingAddress: ADDRESS, amount: 1 }, 400, 'validation_failed'],
      [{ shippingAddress: { ...ADDRESS, country: 'gb' } }, 400, 'validation_failed'],
      [{ shippingAddress: { ...ADDRESS, extra: 'x' } }, 400, 'validation_failed'],
      [{}, 400, 'validation_failed'],
      [{ shippingAddress: ADDRESS }, 409, 'cart_empty'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: payload as object });
      assert.equal(res.statusCode, status, `${JSON.stringify(payload)} -> ${res.body}`);
      assert.equal(res.json().error.code, code);
    }
  });

  it('answers 503 payments_unavailable during a Stripe outage, and a retry reuses the same order and idempotency key', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 900 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    stripe.failNext = 10;
    const down = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    stripe.failNext = 0;
    assert.equal(down.statusCode, 503, down.body);
    assert.equal(down.json().error.code, 'payments_unavailable');
    const up = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal((await db.select().from(orders).where(eq(orders.userId, userId))).length, 1);
    const keys = new Set(intentCreates(up.json().orderId).map((r) => r.idempotencyKey));
    assert.equal(keys.size, 1, 'every attempt used the same idempotency key');
  });

  it('has its own strict rate limit: the 11th checkout in a minute answers 429 rate_limited', async (t) => {
    const { client, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [a] = await seedProducts(db, [{ priceMinor: 900 }]);
    await fillCart(db, userId, [{ productId: a as string, quantity: 1 }]);
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) {
      const r = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
      codes.push(r.statusCode);
    }
    assert.deepEqual(codes.slice(0, 10), Array(10).fill(200));
    assert.equal(codes[10], 429);
  });
});
