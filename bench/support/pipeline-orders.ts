import { randomUUID } from 'node:crypto';
import { uniqueName } from '@shop/shared/test-harness';
import type Stripe from 'stripe';
import type { Database } from '../../api/src/db/client.js';
import { orderItems, orders, products, users } from '../../api/src/db/schema/index.js';
import type { StripeDouble } from '../../api/test/support/stripe-double.js';

export const PRICE_MINOR = 2500;

export interface ArrangedOrder {
  orderId: string;
  paymentIntentId: string;
}

/** A catalogue of `count` products with ample stock (orders spread over them, as a shop's do). */
export async function seedBenchProducts(db: Database, count: number, stock: number): Promise<string[]> {
  const rows = await db
    .insert(products)
    .values(
      Array.from({ length: count }, (_, i) => ({
        sku: uniqueName(`bench${i}`),
        name: `Bench product ${i}`,
        description: 'A product of the pipeline bench',
        priceMinor: PRICE_MINOR,
        currency: 'EUR',
        stock,
      })),
    )
    .returning({ id: products.id });
  return rows.map((r) => r.id);
}

async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * `n` orders as checkout leaves them once the shopper has paid in Stripe's fields: each of
 * its own shopper, one line, `pending_payment`, holding the id of a PaymentIntent that the
 * Stripe double created (through its HTTP API, as checkout does) for the order and marked
 * succeeded. Only the signed `payment_intent.succeeded` webhook is missing.
 */
export async function arrangePaidReadyOrders(
  db: Database,
  stripe: Stripe,
  double: StripeDouble,
  productIds: string[],
  n: number,
): Promise<ArrangedOrder[]> {
  const arranged: ArrangedOrder[] = Array.from({ length: n }, () => ({ orderId: randomUUID(), paymentIntentId: '' }));
  await eachLimited(arranged, 16, async (o) => {
    const intent = await stripe.paymentIntents.create({
      amount: PRICE_MINOR,
      currency: 'eur',
      automatic_payment_methods: { enabled: true },
      metadata: { order_id: o.orderId },
    });
    double.succeed(intent.id);
    o.paymentIntentId = intent.id;
  });
  for (let done = 0; done < n; done += 500) {
    const chunk = arranged.slice(done, done + 500);
    await db.transaction(async (tx) => {
      const shoppers = await tx
        .insert(users)
        .values(chunk.map(() => ({ passwordHash: 'not-a-login' })))
        .returning({ id: users.id });
      await tx.insert(orders).values(
        chunk.map((o, i) => ({
          id: o.orderId,
          userId: (shoppers[i] as { id: string }).id,
          currency: 'EUR',
          totalMinor: PRICE_MINOR,
          paymentIntentId: o.paymentIntentId,
        })),
      );
      await tx.insert(orderItems).values(
        chunk.map((o, i) => ({
          orderId: o.orderId,
          productId: productIds[(done + i) % productIds.length] as string,
          name: 'Bench product',
          unitPriceMinor: PRICE_MINOR,
          quantity: 1,
        })),
      );
    });
  }
  return arranged;
}
