import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@shop/shared/test-harness';
import pg from 'pg';
import { stripeEvents } from '../../../src/db/schema/index.js';
import { checkedOutOrder, orderRow, outboxRows } from '../../support/paid-order.js';
import { buildPaymentsTestApp, type PaymentsTestApp } from '../../support/payments-app.js';
import { StripeDouble } from '../../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

function post(app: PaymentsTestApp['app'], payload: string, signature?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    headers: {
      'content-type': 'application/json',
      ...(signature !== undefined ? { 'stripe-signature': signature } : {}),
    },
    payload,
  });
}

async function deliver(
  app: PaymentsTestApp['app'],
  event: unknown,
  options: { secret?: string; timestamp?: number } = {},
) {
  const { payload, signature } = stripe.sign(event, options);
  return post(app, payload, signature);
}

describe('[C-010] POST /api/webhooks/stripe', () => {
  it('marks the order paid once a verified payment_intent.succeeded arrives, and writes one outbox row in the same transaction', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId, { brand: 'mastercard', last4: '4444' });
    const res = await deliver(app, stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { received: true });
    // No session or CSRF on this route: Stripe has neither (the signature is the authentication).
    assert.equal(res.headers['set-cookie'], undefined);
    const order = await orderRow(db, orderId);
    assert.equal(order.status, 'paid');
    assert.equal(order.cardBrand, 'mastercard');
    assert.equal(order.cardLast4, '4444');
    const rows = await outboxRows(db);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.topic, 'order.paid');
    assert.deepEqual(rows[0]?.payload, { orderId, amountMinor: 2500, currency: 'EUR' });
  });

  it('refuses or ignores every forged, stale, replayed, altered, mismatched or malformed delivery without a state change or a 500', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId);
    const event = stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId));
    const { payload, signature } = stripe.sign(event);
    const now = Math.floor(Date.now() / 1000);

    // An intent naming an order that does not exist, and one whose amount differs from the order.
    const stranger = stripe.intents.get(paymentIntentId);
    const unknownOrder = { ...stranger, id: 'pi_unknownorder', metadata: { order_id: randomUUID() } };
    stripe.intents.set(unknownOrder.id, unknownOrder as never);
    const other = await checkedOutOrder(client(), db, stripe);
    // A partial capture: Stripe received less than the intent asked for.
    const cheap = stripe.succeed(other.paymentIntentId, undefined, { amountReceived: 100 });

    const cases: [string, () => Promise<{ statusCode: number; body: string }>, number, string | null][] = [
      ['no signature header', () => post(app, payload), 400, 'validation_failed'],
      [
        'a forged signature',
        () => post(app, payload, signature.replace(/v1=[0-9a-f]{8}/, 'v1=deadbeef')),
        400,
        'webhook_signature_invalid',
      ],
      [
        'a signature by another secret',
        () => deliver(app, event, { secret: 'whsec_attacker' }),
        400,
        'webhook_signature_invalid',
      ],
      [
        'a timestamp outside the 300 s tolerance',
        () => deliver(app, event, { timestamp: now - 301 }),
        400,
        'webhook_signature_invalid',
      ],
      [
        'a timestamp from the future',
        () => deliver(app, event, { timestamp: now + 600 }),
        400,
        'webhook_signature_invalid',
      ],
      [
        'a body changed after signing',
        () => post(app, payload.replace('"livemode":false', '"livemode":true'), signature),
        400,
        'webhook_signature_invalid',
      ],
      ['a signed body that is not JSON', () => deliver(app, '{"id": "evt_x", ', {}), 400, 'webhook_payload_invalid'],
      [
        'a signed event without data.object',
        () => deliver(app, { id: 'evt_nodata', object: 'event', type: 'payment_intent.succeeded' }),
        400,
        'webhook_payload_invalid',
      ],
      [
        'an event for an unknown order',
        () => deliver(app, stripe.event('payment_intent.succeeded', unknownOrder)),
        200,
        null,
      ],
      [
        'an amount that does not match the order',
        () => deliver(app, stripe.event('payment_intent.succeeded', cheap)),
        200,
        null,
      ],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      if (code) assert.equal(JSON.parse(res.body).error.code, code, what);
    }
    assert.equal((await orderRow(db, orderId)).status, 'pending_payment');
    assert.equal((await orderRow(db, other.orderId)).status, 'payment_review', 'amount mismatch is never fulfilled');
    assert.equal((await outboxRows(db)).length, 0);

    // The genuine delivery still works, and replaying it (same event id) changes nothing more.
    assert.equal((await post(app, payload, signature)).statusCode, 200);
    const replay = await post(app, payload, signature);
    assert.equal(replay.statusCode, 200);
    assert.deepEqual(replay.json(), { received: true, duplicate: true });
    assert.equal((await orderRow(db, orderId)).status, 'paid');
    assert.equal((await outboxRows(db)).length, 1);
  });

  it('applies the same event delivered 5 times concurrently exactly once: one state change, four acknowledged duplicates', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId);
    const { payload, signature } = stripe.sign(
      stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)),
    );
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(app, payload, signature)));
    for (const a of answers) assert.equal(a.statusCode, 200, a.body);
    assert.equal(answers.filter((a) => a.json().duplicate === true).length, 4);
    assert.equal((await orderRow(db, orderId)).status, 'paid');
    const rows = await outboxRows(db);
    assert.equal(rows.length, 1, 'one outbox row: one state change');
    assert.equal((await db.select().from(stripeEvents)).length, 1);
  });

  it('changes an order once when two different events report the same payment', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId);
    const intent = stripe.intents.get(paymentIntentId);
    const answers = await Promise.all([
      deliver(app, stripe.event('payment_intent.succeeded', intent)),
      deliver(app, stripe.event('payment_intent.succeeded', intent)),
    ]);
    for (const a of answers) assert.equal(a.statusCode, 200, a.body);
    const rows = await outboxRows(db);
    assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.topic)));
  });

  it('re-fetches the PaymentIntent: a late payment_failed never undoes a payment that succeeded', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    const failedSnapshot = { ...stripe.intents.get(paymentIntentId), status: 'requires_payment_method' };
    stripe.succeed(paymentIntentId);
    // Succeeded arrives first, the older failure second (Stripe does not order events).
    assert.equal(
      (await deliver(app, stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)))).statusCode,
      200,
    );
    assert.equal((await deliver(app, stripe.event('payment_intent.payment_failed', failedSnapshot))).statusCode, 200);
    assert.equal((await orderRow(db, orderId)).status, 'paid');
    // And a succeeded event whose intent Stripe says is not paid is ignored.
    const other = await checkedOutOrder(client(), db, stripe);
    const forgedSnapshot = { ...stripe.intents.get(other.paymentIntentId), status: 'succeeded' };
    assert.equal((await deliver(app, stripe.event('payment_intent.succeeded', forgedSnapshot))).statusCode, 200);
    assert.equal((await orderRow(db, other.orderId)).status, 'pending_payment');
    assert.equal((await deliver(app, stripe.event('payment_intent.payment_failed', forgedSnapshot))).statusCode, 200);
    assert.equal((await orderRow(db, other.orderId)).status, 'payment_failed');
  });

  it('records refunds from charge.refunded (partial, then full; a late older event is ignored) and flags disputes', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe, [
      { priceMinor: 1000, quantity: 2 },
    ]);
    stripe.succeed(paymentIntentId);
    await deliver(app, stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)));
    const charge = { id: 'ch_x', object: 'charge', payment_intent: paymentIntentId, amount: 2000 };
    await deliver(app, stripe.event('charge.refunded', { ...charge, amount_refunded: 500 }));
    let order = await orderRow(db, orderId);
    assert.equal(order.refundedMinor, 500);
    assert.equal(order.status, 'paid');
    await deliver(app, stripe.event('charge.refunded', { ...charge, amount_refunded: 2000 }));
    await deliver(app, stripe.event('charge.refunded', { ...charge, amount_refunded: 500 }));
    order = await orderRow(db, orderId);
    assert.equal(order.refundedMinor, 2000);
    assert.equal(order.status, 'refunded');
    await deliver(
      app,
      stripe.event('charge.dispute.created', { id: 'dp_x', object: 'dispute', payment_intent: paymentIntentId }),
    );
    assert.equal((await orderRow(db, orderId)).disputed, true);
    assert.deepEqual(
      (await outboxRows(db)).map((r) => r.topic),
      ['order.paid', 'order.refunded', 'order.refunded', 'order.disputed'],
    );
  });

  it('acknowledges unknown event types with 200 and changes nothing', async (t) => {
    const { app, db } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const res = await deliver(app, stripe.event('customer.created', { id: 'cus_1', object: 'customer' }));
    assert.equal(res.statusCode, 200);
    assert.equal((await outboxRows(db)).length, 0);
  });

  it('accepts both signing secrets during a rotation and no other', async (t) => {
    const previous = `whsec_previous${randomUUID().replaceAll('-', '')}`;
    const { app } = await buildPaymentsTestApp(t, {
      stripeEnv: { ...stripe.env(), STRIPE_WEBHOOK_SECRET_PREVIOUS: previous },
    });
    const ping = () => stripe.event('customer.created', { id: 'cus_1', object: 'customer' });
    assert.equal((await deliver(app, ping())).statusCode, 200);
    assert.equal((await deliver(app, ping(), { secret: previous })).statusCode, 200);
    assert.equal((await deliver(app, ping(), { secret: 'whsec_somethingelse' })).statusCode, 400);
  });

  it('answers 503 webhook_not_configured without a signing secret, and 413 for an oversized body', async (t) => {
    const { app } = await buildPaymentsTestApp(t, { stripeEnv: {} });
    const res = await deliver(app, stripe.event('customer.created', { id: 'cus_1' }));
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'webhook_not_configured');
    const big = await post(app, JSON.stringify({ pad: 'x'.repeat(300 * 1024) }), 't=1,v1=00');
    assert.equal(big.statusCode, 413);
  });

  it('holds no database connection or row lock while it asks Stripe for the PaymentIntent', async (t) => {
    const { app, db, ownerUrl, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const { orderId, paymentIntentId } = await checkedOutOrder(client(), db, stripe);
    stripe.succeed(paymentIntentId);
    let release = () => {};
    stripe.gate = new Promise<void>((r) => {
      release = r;
    });
    const asked = stripe.requests.length;
    const pending = deliver(app, stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)));
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    try {
      await waitFor(
        'the intent fetched from Stripe',
        () => stripe.requests.slice(asked).some((r) => r.path.includes(paymentIntentId)),
        (fetched) => fetched,
        20_000,
        10,
      );
      const open = await owner.query(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name = 'shop-api' and state like 'idle in transaction%'`,
      );
      assert.equal(open.rows[0].n, 0, 'a transaction stays open while Stripe answers');
      await owner.query('begin');
      await owner.query('select 1 from orders where id = $1 for update nowait', [orderId]);
      await owner.query('rollback');
    } finally {
      stripe.gate = undefined;
      release();
      await owner.end();
    }
    const res = await pending;
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await orderRow(db, orderId)).status, 'paid');
  });
});
