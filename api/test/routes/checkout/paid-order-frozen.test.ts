import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { cartItems, carts, orderItems, orders } from '../../../src/db/schema/index.js';
import { checkedOutOrder, deliverPaymentSucceeded, orderRow, outboxRows } from '../../support/paid-order.js';
import { ADDRESS, buildPaymentsTestApp, fillCart, seedProducts } from '../../support/payments-app.js';
import { StripeDouble } from '../../support/stripe-double.js';

const stripe = new StripeDouble();
before(() => stripe.start());
after(() => stripe.stop());

type App = Awaited<ReturnType<typeof buildPaymentsTestApp>>;

async function linesOf(db: App['db'], orderId: string) {
  return db
    .select({ productId: orderItems.productId, quantity: orderItems.quantity })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId));
}

async function cartOf(db: App['db'], userId: string) {
  return db
    .select({ productId: cartItems.productId, quantity: cartItems.quantity })
    .from(cartItems)
    .innerJoin(carts, eq(carts.id, cartItems.cartId))
    .where(eq(carts.userId, userId))
    .orderBy(cartItems.productId);
}

async function deliverSucceeded(app: App['app'], paymentIntentId: string) {
  const hook = await deliverPaymentSucceeded(app, stripe, paymentIntentId);
  assert.equal(hook.statusCode, 200, hook.body);
}

function intentOf(orderId: string) {
  return [...stripe.intents.values()].find((i) => i.metadata.order_id === orderId);
}

describe('checkout once the payment is under way (finding 8.1, PCI DSS 6.2.4 business logic)', () => {
  it('[pentest 8.1] a re-checkout after the payment succeeded leaves the paid order as Stripe charged it, opens a new order for the new cart, and the webhook then marks the first order paid', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [{ priceMinor: 390, quantity: 1 }]);
    stripe.succeed(first.paymentIntentId);
    // The webhook is slow: before it lands, the shopper adds an expensive item in another tab.
    const [extra] = await seedProducts(db, [{ priceMinor: 628_000 }]);
    await fillCart(db, first.userId, [
      { productId: first.productIds[0] as string, quantity: 1 },
      { productId: extra as string, quantity: 1 },
    ]);
    const again = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(again.statusCode, 200, again.body);
    const second = again.json<{ orderId: string }>().orderId;
    assert.notEqual(second, first.orderId, 'a new cart becomes a new order');
    assert.equal(intentOf(second)?.amount, 628_390);

    const paid = await orderRow(db, first.orderId);
    assert.equal(paid.totalMinor, 390, 'the paid order keeps the total Stripe charged');
    assert.equal(paid.checkoutRevision, 0);
    assert.equal((await linesOf(db, first.orderId)).length, 1, 'and its lines');
    assert.equal(stripe.intents.get(first.paymentIntentId)?.amount, 390);

    await deliverSucceeded(app, first.paymentIntentId);
    assert.equal((await orderRow(db, first.orderId)).status, 'paid');
    assert.deepEqual(
      (await outboxRows(db)).map((r) => [r.topic, r.payload.orderId]),
      [['order.paid', first.orderId]],
    );

    // The shopper is not stuck: the next checkout reuses the new order.
    const third = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(third.statusCode, 200, third.body);
    assert.equal(third.json().orderId, second);
  });

  it('[pentest 8.1] an order whose payment is processing cannot change: the same cart answers 409 checkout_in_progress, a changed cart becomes a new order', async (t) => {
    const { db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [{ priceMinor: 1200, quantity: 1 }]);
    stripe.startProcessing(first.paymentIntentId);
    const same = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(same.statusCode, 409, same.body);
    assert.equal(same.json().error.code, 'checkout_in_progress');
    const before = await orderRow(db, first.orderId);

    await fillCart(db, first.userId, [{ productId: first.productIds[0] as string, quantity: 5 }]);
    const changed = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.notEqual(changed.json().orderId, first.orderId);
    const after = await orderRow(db, first.orderId);
    assert.deepEqual(
      { total: after.totalMinor, revision: after.checkoutRevision, address: after.shippingAddressToken },
      { total: 1200, revision: 0, address: before.shippingAddressToken },
      'neither lines, total nor address of the order being paid changed',
    );
    assert.deepEqual(await linesOf(db, first.orderId), [{ productId: first.productIds[0], quantity: 1 }]);
  });

  it('[pentest 8.1] when Stripe does not take the new amount, the order keeps the lines and total its intent is charging', async (t) => {
    const { db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [{ priceMinor: 800, quantity: 1 }]);
    await fillCart(db, first.userId, [{ productId: first.productIds[0] as string, quantity: 4 }]);
    stripe.failNext = 10;
    const down = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    stripe.failNext = 0;
    assert.equal(down.statusCode, 503, down.body);
    const order = await orderRow(db, first.orderId);
    assert.equal(order.totalMinor, 800);
    assert.equal(order.totalMinor, stripe.intents.get(first.paymentIntentId)?.amount, 'order and intent agree');
    assert.deepEqual(await linesOf(db, first.orderId), [{ productId: first.productIds[0], quantity: 1 }]);

    // Once Stripe is back, the change goes through on the same order and intent.
    const up = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().orderId, first.orderId);
    assert.equal((await orderRow(db, first.orderId)).totalMinor, 3200);
    assert.equal(stripe.intents.get(first.paymentIntentId)?.amount, 3200);
  });

  it('closes an order whose PaymentIntent was cancelled at Stripe and opens a new order for the cart', async (t) => {
    const { db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [{ priceMinor: 950, quantity: 1 }]);
    stripe.cancel(first.paymentIntentId);
    const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(res.statusCode, 200, res.body);
    assert.notEqual(res.json().orderId, first.orderId);
    assert.equal((await orderRow(db, first.orderId)).status, 'cancelled');
    const open = await db.select().from(orders).where(eq(orders.userId, first.userId));
    assert.equal(open.filter((o) => o.status === 'pending_payment').length, 1);
  });
});

describe('the cart after payment (finding: a paid cart was billed again, PCI DSS 6.2.4 business logic)', () => {
  it('[C-027] the webhook that marks an order paid takes its lines out of the cart in the same transaction: checking out again bills nothing twice', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [
      { priceMinor: 1500, quantity: 2 },
      { priceMinor: 700, quantity: 1 },
    ]);
    stripe.succeed(first.paymentIntentId);
    await deliverSucceeded(app, first.paymentIntentId);
    assert.equal((await orderRow(db, first.orderId)).status, 'paid');
    assert.deepEqual(await cartOf(db, first.userId), [], 'every paid line left the cart');

    const intentsBefore = stripe.intents.size;
    const again = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: { shippingAddress: ADDRESS },
    });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error.code, 'cart_empty', 'nothing is left to bill');
    assert.equal(stripe.intents.size, intentsBefore, 'no second PaymentIntent');
  });

  it('[C-027] only what the order paid for leaves the cart: a product or quantity added after checkout stays, and is all the next checkout bills', async (t) => {
    const { app, db, client } = await buildPaymentsTestApp(t, { stripeEnv: stripe.env() });
    const shopper = client();
    const first = await checkedOutOrder(shopper, db, stripe, [
      { priceMinor: 1000, quantity: 1 },
      { priceMinor: 250, quantity: 2 },
    ]);
    const [paidOnce, paidTwice] = first.productIds as [string, string];
    stripe.startProcessing(first.paymentIntentId);
    // While the payment is processing the shopper adds one more of the first product and a
    // new one: the order being paid cannot change, so these belong to the next order.
    const [later] = await seedProducts(db, [{ priceMinor: 4000 }]);
    await fillCart(db, first.userId, [
      { productId: paidOnce, quantity: 2 },
      { productId: paidTwice, quantity: 2 },
      { productId: later as string, quantity: 1 },
    ]);
    stripe.succeed(first.paymentIntentId);
    await deliverSucceeded(app, first.paymentIntentId);
    assert.equal((await orderRow(db, first.orderId)).status, 'paid');
    assert.deepEqual(
      await cartOf(db, first.userId),
      [
        { productId: paidOnce, quantity: 1 },
        { productId: later as string, quantity: 1 },
      ].sort((a, b) => (a.productId < b.productId ? -1 : 1)),
    );

    const next = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
    assert.equal(next.statusCode, 200, next.body);
    assert.notEqual(next.json().orderId, first.orderId);
    assert.equal(intentOf(next.json().orderId)?.amount, 1000 + 4000, 'the paid lines are not billed again');
  });
});
