import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@shop/shared/config';
import { PaymentsConfigSchema } from '../../src/payments/payments-config.js';
import { refundOrder } from '../../src/payments/refunds.js';
import { createStripeClient } from '../../src/payments/stripe-client.js';
import { checkedOutOrder, deliverPaymentSucceeded, orderRow } from '../support/paid-order.js';
import { buildPaymentsTestApp } from '../support/payments-app.js';
import { StripeDouble } from '../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

describe('refundOrder', () => {
  it('refunds part then the rest through Stripe with idempotency keys; a retried request refunds once; the order follows charge.refunded', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const client_ = createStripeClient(loadConfig(PaymentsConfigSchema, stripe.env()));
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe, [
      { priceMinor: 3000, quantity: 1 },
    ]);

    // Not paid yet: nothing to refund.
    await assert.rejects(refundOrder(db, client_, { orderId, amountMinor: 100, requestId: 'audit-0' }), {
      code: 'REFUND_INVALID',
    });

    stripe.succeed(paymentIntentId);
    const paid = await deliverPaymentSucceeded(app, stripe, paymentIntentId);
    assert.equal(paid.statusCode, 200, paid.body);

    const first = await refundOrder(db, client_, { orderId, amountMinor: 1000, requestId: 'audit-1' });
    const retried = await refundOrder(db, client_, { orderId, amountMinor: 1000, requestId: 'audit-1' });
    assert.equal(retried.refundId, first.refundId, 'same request, same refund');
    const refundCalls = stripe.requests.filter((r) => r.path === '/v1/refunds');
    assert.equal(refundCalls[0]?.idempotencyKey, `refund-${orderId}-audit-1`);
    assert.deepEqual(refundCalls[0]?.params.metadata, { order_id: orderId });
    const charge = [...stripe.charges.values()].find((c) => c.payment_intent === paymentIntentId);
    assert.equal(charge?.amount_refunded, 1000, 'refunded once');

    // The order changes only when Stripe reports the refund.
    assert.equal((await orderRow(db, orderId)).refundedMinor, 0);
    const event = stripe.event('charge.refunded', { ...charge });
    const signed = stripe.sign(event);
    await app.inject({
      method: 'POST',
      url: '/api/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature },
      payload: signed.payload,
    });
    assert.equal((await orderRow(db, orderId)).refundedMinor, 1000);

    // More than what remains is refused before Stripe is called; the rest (full) is fine.
    await assert.rejects(refundOrder(db, client_, { orderId, amountMinor: 2001, requestId: 'audit-2' }), {
      code: 'REFUND_INVALID',
    });
    const rest = await refundOrder(db, client_, { orderId, requestId: 'audit-3' });
    assert.equal(rest.amountMinor, 2000);
    await assert.rejects(refundOrder(db, null, { orderId, requestId: 'audit-4' }), {
      code: 'PAYMENTS_NOT_CONFIGURED',
    });
  });
});
