import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import Stripe from 'stripe';
import { runtimeUrl } from '../../../src/db/roles.js';
import { paymentReviews } from '../../../src/db/schema/index.js';
import { STRIPE_API_VERSION } from '../../../src/payments/stripe-client.js';
import { checkedOutOrder, orderRow, outboxRows } from '../../support/paid-order.js';
import {
  ADDRESS,
  buildPaymentsTestApp,
  fillCart,
  type PaymentsTestApp,
  seedProducts,
  signedInShopper,
} from '../../support/payments-app.js';
import { StripeDouble } from '../../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

async function deliver(app: PaymentsTestApp['app'], event: unknown) {
  const { payload, signature } = stripe.sign(event);
  return app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
}

function succeededEvent(paymentIntentId: string) {
  return stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId));
}

async function reviewsOf(db: PaymentsTestApp['db']) {
  return db.select().from(paymentReviews).orderBy(paymentReviews.createdAt);
}

describe('payments the webhook cannot settle are held for staff (findings 8.2, 8.7)', () => {
  it('[pentest 8.2] an order is paid only when the amount received and its currency equal the order total: a partial capture or another currency is held for review and never shipped', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    // The intent asks for the full total, yet Stripe received only part of it.
    const partial = await checkedOutOrder(client(), db, stripe, [{ priceMinor: 628_390, quantity: 1 }]);
    stripe.succeed(partial.paymentIntentId, undefined, { amountReceived: 390 });
    assert.equal(stripe.intents.get(partial.paymentIntentId)?.amount, 628_390);
    const res = await deliver(app, succeededEvent(partial.paymentIntentId));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await orderRow(db, partial.orderId)).status, 'payment_review');

    // The intent's currency was changed behind the shop's back before the shopper paid.
    const other = await checkedOutOrder(client(), db, stripe, [{ priceMinor: 2000, quantity: 1 }]);
    const outsider = new Stripe(stripe.secretKey, {
      apiVersion: STRIPE_API_VERSION,
      host: '127.0.0.1',
      port: stripe.port,
      protocol: 'http',
    });
    await outsider.paymentIntents.update(other.paymentIntentId, { currency: 'gbp' });
    stripe.succeed(other.paymentIntentId);
    assert.equal((await deliver(app, succeededEvent(other.paymentIntentId))).statusCode, 200);
    assert.equal((await orderRow(db, other.orderId)).status, 'payment_review');

    assert.deepEqual(await outboxRows(db), [], 'nothing announced as paid: the worker never ships them');
    const reviews = await reviewsOf(db);
    assert.deepEqual(
      reviews.map((r) => [r.reason, r.orderId, r.paymentIntentId, r.detail]),
      [
        [
          'amount_mismatch',
          partial.orderId,
          partial.paymentIntentId,
          { expectedMinor: 628_390, expectedCurrency: 'eur', receivedMinor: 390, receivedCurrency: 'eur' },
        ],
        [
          'currency_mismatch',
          other.orderId,
          other.paymentIntentId,
          { expectedMinor: 2000, expectedCurrency: 'eur', receivedMinor: 2000, receivedCurrency: 'gbp' },
        ],
      ],
    );
    // The shopper can still check out: the order under review is no longer their open order.
    const shopper = client();
    const userId = await signedInShopper(shopper, db);
    const [p] = await seedProducts(db, [{ priceMinor: 700 }]);
    await fillCart(db, userId, [{ productId: p as string, quantity: 1 }]);
    const next = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(next.statusCode, 200, next.body);
  });

  it('[pentest 8.7] a value from Stripe outside its schema (a 16-character last4) is recorded for staff and acknowledged, never stored, logged or retried', async (t) => {
    const { app, db, client, logs } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    const pan = '4242424242424242';
    stripe.succeed(paymentIntentId, { brand: 'visa', last4: pan });
    const event = succeededEvent(paymentIntentId);
    const res = await deliver(app, event);
    assert.equal(res.statusCode, 200, res.body);
    const order = await orderRow(db, orderId);
    assert.equal(order.status, 'payment_review', 'held, not fulfilled, until staff looked');
    assert.equal(order.cardLast4, null);
    const [review, ...more] = await reviewsOf(db);
    assert.equal(more.length, 0);
    assert.equal(review?.reason, 'unexpected_stripe_data');
    assert.equal(review?.orderId, orderId);
    assert.deepEqual(review?.detail, { field: '/latest_charge/payment_method_details/card/last4' });
    assert.equal(JSON.stringify([order, review]).includes(pan), false, 'the value is stored nowhere');
    assert.equal(logs.text().includes(pan), false, 'nor logged');
    assert.match(logs.text(), /payment_review_unexpected_stripe_data/);
    // Stripe's retry of the same event is a duplicate, not a second review or a 500.
    const again = await deliver(app, event);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().duplicate, true);
    assert.equal((await reviewsOf(db)).length, 1);
  });

  it('[pentest 8.7] a PaymentIntent Stripe reports missing is acknowledged and recorded for staff, not answered 503 for Stripe to retry for days', async (t) => {
    const { app, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const res = await deliver(
      app,
      stripe.event('payment_intent.succeeded', { id: 'pi_notknowntostripe', object: 'payment_intent' }),
    );
    assert.equal(res.statusCode, 200, res.body);
    const [review] = await reviewsOf(db);
    assert.equal(review?.reason, 'payment_intent_missing');
    assert.equal(review?.paymentIntentId, 'pi_notknowntostripe');
  });

  it('[pentest 8.7] malformed refund and dispute objects are recorded for staff and acknowledged, and change no order', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId);
    assert.equal((await deliver(app, succeededEvent(paymentIntentId))).statusCode, 200);
    const cases = [
      stripe.event('charge.refunded', { id: 'ch_x', payment_intent: paymentIntentId, amount_refunded: 12.5 }),
      stripe.event('charge.refunded', { id: 'ch_x', payment_intent: 'not an id', amount_refunded: 100 }),
      stripe.event('charge.dispute.created', { id: 'dp_x', payment_intent: { id: 42 } }),
    ];
    for (const event of cases) {
      const res = await deliver(app, event);
      assert.equal(res.statusCode, 200, res.body);
    }
    const order = await orderRow(db, orderId);
    assert.equal(order.refundedMinor, 0);
    assert.equal(order.disputed, false);
    assert.deepEqual(
      (await reviewsOf(db)).map((r) => [r.reason, r.detail]),
      [
        ['unexpected_stripe_data', { field: '/amount_refunded' }],
        ['unexpected_stripe_data', { field: '/payment_intent' }],
        ['unexpected_stripe_data', { field: '/payment_intent' }],
      ],
    );
  });

  it('lets the api only insert review rows: it cannot read, change or delete them (PCI DSS 7.2.2)', async (t) => {
    const { app, db, ownerUrl } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    await deliver(app, stripe.event('payment_intent.succeeded', { id: 'pi_missingagain', object: 'payment_intent' }));
    assert.equal(
      (await db.select().from(paymentReviews).where(eq(paymentReviews.paymentIntentId, 'pi_missingagain'))).length,
      1,
    );
    const runtime = new pg.Client({ connectionString: runtimeUrl(ownerUrl) });
    await runtime.connect();
    try {
      for (const sql of [
        'select * from payment_reviews',
        'update payment_reviews set resolved_at = now()',
        'delete from payment_reviews',
      ]) {
        await assert.rejects(runtime.query(sql), /permission denied/, sql);
      }
    } finally {
      await runtime.end();
    }
  });
});
