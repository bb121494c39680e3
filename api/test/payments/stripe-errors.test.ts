import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../src/payments/stripe-client.js';
import { checkedOutOrder } from '../support/paid-order.js';
import { ADDRESS, buildPaymentsTestApp, fillCart, seedProducts, signedInShopper } from '../support/payments-app.js';
import { type DoubleFailure, StripeDouble } from '../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

function client(apiVersion = STRIPE_API_VERSION) {
  return new Stripe(stripe.secretKey, {
    apiVersion: apiVersion as typeof STRIPE_API_VERSION,
    host: '127.0.0.1',
    port: stripe.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

async function refusal(call: Promise<unknown>): Promise<{ type: string; code?: string; param?: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { type: string; code?: string; param?: string };
    return { type: e.type, ...(e.code ? { code: e.code } : {}), ...(e.param ? { param: e.param } : {}) };
  }
  throw new Error('Stripe (double) accepted the request');
}

describe('the Stripe double refuses what Stripe refuses, so no test passes on a request Stripe would reject', () => {
  it('refuses to change the amount of a processing, paid or cancelled intent with payment_intent_unexpected_state, as Stripe does', async () => {
    const s = client();
    for (const settle of ['processing', 'succeeded', 'canceled'] as const) {
      const pi = await s.paymentIntents.create({ amount: 1000, currency: 'eur', metadata: { order_id: settle } });
      if (settle === 'processing') stripe.startProcessing(pi.id);
      if (settle === 'succeeded') stripe.succeed(pi.id);
      if (settle === 'canceled') stripe.cancel(pi.id);
      const err = await refusal(s.paymentIntents.update(pi.id, { amount: 2000 }));
      assert.deepEqual(err, {
        type: 'StripeInvalidRequestError',
        code: 'payment_intent_unexpected_state',
        param: 'amount',
      });
      assert.equal(stripe.intents.get(pi.id)?.amount, 1000, `${settle}: the amount stayed`);
    }
  });

  it('refuses unknown parameters, fractional or out-of-range amounts, unknown currencies, reused idempotency keys and another API version', async () => {
    const s = client();
    const bad = (params: Record<string, unknown>) => s.paymentIntents.create(params as never);
    assert.deepEqual(await refusal(bad({ amount: 1000, currency: 'eur', amount_received: 1000 })), {
      type: 'StripeInvalidRequestError',
      code: 'parameter_unknown',
      param: 'amount_received',
    });
    assert.equal((await refusal(bad({ amount: 10.5, currency: 'eur' }))).code, 'parameter_invalid_integer');
    assert.equal((await refusal(bad({ amount: 10, currency: 'eur' }))).code, 'amount_too_small');
    assert.equal((await refusal(bad({ amount: 100_000_000, currency: 'eur' }))).code, 'amount_too_large');
    assert.equal((await refusal(bad({ amount: 1000, currency: 'xyz' }))).param, 'currency');
    await s.paymentIntents.create({ amount: 1000, currency: 'eur' }, { idempotencyKey: 'k-double-test' });
    assert.equal(
      (await refusal(s.paymentIntents.create({ amount: 1001, currency: 'eur' }, { idempotencyKey: 'k-double-test' })))
        .type,
      'StripeIdempotencyError',
    );
    assert.equal(
      (await refusal(client('2020-08-27' as never).paymentIntents.create({ amount: 1000, currency: 'eur' }))).type,
      'StripeInvalidRequestError',
    );
    assert.deepEqual(await refusal(s.paymentIntents.retrieve('pi_nosuchintent')), {
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      param: 'intent',
    });
  });
});

describe("Stripe's errors map to api codes that say what happened (finding 8.7)", () => {
  it('[pentest 8.7] checkout answers throttling, refused credentials, an unreachable Stripe and an amount Stripe cannot take with distinct codes, never checkout_in_progress', async (t) => {
    const { client: newClient, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = newClient();
    const userId = await signedInShopper(shopper, db);
    const [tiny, normal] = await seedProducts(db, [{ priceMinor: 10 }, { priceMinor: 1500 }]);
    const checkout = () =>
      shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });

    await fillCart(db, userId, [{ productId: tiny as string, quantity: 1 }]);
    const small = await checkout();
    assert.equal(small.statusCode, 409, small.body);
    assert.equal(small.json().error.code, 'payment_amount_out_of_range');

    await fillCart(db, userId, [{ productId: normal as string, quantity: 1 }]);
    const expected: [DoubleFailure, number, string][] = [
      ['rate_limit', 503, 'payments_rate_limited'],
      ['authentication', 503, 'payments_credentials_refused'],
      ['connection', 503, 'payments_unavailable'],
      ['unavailable', 503, 'payments_unavailable'],
    ];
    for (const [failure, status, code] of expected) {
      stripe.failure = failure;
      stripe.failNext = 10;
      const res = await checkout();
      stripe.failNext = 0;
      stripe.failure = 'unavailable';
      assert.equal(res.statusCode, status, `${failure}: ${res.body}`);
      assert.equal(res.json().error.code, code, failure);
    }
    const ok = await checkout();
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('[pentest 8.7] the webhook answers a Stripe throttle with 503 payments_rate_limited, so Stripe retries, and the retry applies the payment', async (t) => {
    const { app, db, client: newClient } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { paymentIntentId } = await checkedOutOrder(newClient(), db, stripe);
    stripe.succeed(paymentIntentId);
    const { payload, signature } = stripe.sign(
      stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)),
    );
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/api/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        payload,
      });
    stripe.failure = 'rate_limit';
    stripe.failNext = 10;
    const throttled = await send();
    stripe.failNext = 0;
    stripe.failure = 'unavailable';
    assert.equal(throttled.statusCode, 503, throttled.body);
    assert.equal(throttled.json().error.code, 'payments_rate_limited');
    const retried = await send();
    assert.equal(retried.statusCode, 200, retried.body);
  });
});
