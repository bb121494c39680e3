import { eq, like } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { orders, outbox } from '../../src/db/schema/index.js';
import type { TestClient } from './cookie-jar.js';
import type { PaymentsTestApp } from './payments-app.js';
import { ADDRESS, fillCart, seedProducts, signedInShopper } from './payments-app.js';
import type { StripeDouble } from './stripe-double.js';

/** A shopper checks out a cart through the real route: the order awaits payment. */
export async function checkedOutOrder(
  shopper: TestClient,
  db: Database,
  stripe: StripeDouble,
  lines: { priceMinor: number; quantity: number; stock?: number }[] = [{ priceMinor: 2500, quantity: 1 }],
): Promise<{ orderId: string; paymentIntentId: string; userId: string; productIds: string[] }> {
  const userId = await signedInShopper(shopper, db);
  const productIds = await seedProducts(
    db,
    lines.map((l) => ({ priceMinor: l.priceMinor, stock: l.stock ?? 100 })),
  );
  await fillCart(
    db,
    userId,
    lines.map((l, i) => ({ productId: productIds[i] as string, quantity: l.quantity })),
  );
  const res = await shopper.request({ method: 'POST', url: '/api/checkout', payload: { shippingAddress: ADDRESS } });
  if (res.statusCode !== 200) throw new Error(`checkout answered ${res.statusCode}: ${res.body}`);
  const orderId = res.json<{ orderId: string }>().orderId;
  const intent = [...stripe.intents.values()].find((i) => i.metadata.order_id === orderId);
  if (!intent) throw new Error('no PaymentIntent for the order');
  return { orderId, paymentIntentId: intent.id, userId, productIds };
}

export async function orderRow(db: Database, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new Error(`order ${orderId} not found`);
  return order;
}

/** The order events in the outbox (mail requests, such as the signup's verification mail, left out). */
export async function outboxRows(db: Database) {
  return db.select().from(outbox).where(like(outbox.topic, 'order.%')).orderBy(outbox.id);
}

/** Stripe says the intent succeeded: a signed payment_intent.succeeded reaches the webhook. */
export async function deliverPaymentSucceeded(
  app: PaymentsTestApp['app'],
  stripe: StripeDouble,
  paymentIntentId: string,
) {
  const { payload, signature } = stripe.sign(
    stripe.event('payment_intent.succeeded', stripe.intents.get(paymentIntentId)),
  );
  return app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
}
