import { sql } from 'drizzle-orm';
import {
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.js';
import { products } from './catalogue.js';

export const orderStatus = pgEnum('order_status', [
  'pending_payment',
  'paid',
  'payment_failed',
  'ready_to_ship',
  'shipped',
  'refunded',
  'cancelled',
  // Money arrived that does not match the order (amount, currency, or data Stripe sent that
  // fails its schema): never fulfilled; staff decide (finding 8.2, 8.7).
  'payment_review',
]);

/**
 * Orders. No card data: only Stripe ids, brand and last 4 (PCI DSS v4.0.1 3.2, 3.3).
 * The shipping address is held as a tokenizer token, never as plain text.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    status: orderStatus('status').notNull().default('pending_payment'),
    currency: char('currency', { length: 3 }).notNull(),
    totalMinor: integer('total_minor').notNull(),
    refundedMinor: integer('refunded_minor').notNull().default(0),
    shippingAddressToken: text('shipping_address_token'),
    paymentIntentId: text('payment_intent_id').unique(),
    // Bumped each time checkout re-prices the order: part of the idempotency key of the
    // PaymentIntent create, so a retry of the same lines replays and changed lines are a new request.
    checkoutRevision: integer('checkout_revision').notNull().default(0),
    cardBrand: text('card_brand'),
    cardLast4: char('card_last4', { length: 4 }),
    // Set by charge.dispute.created: staff review before anything else happens to the order.
    disputed: boolean('disputed').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => sql`now()`),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    readyToShipAt: timestamp('ready_to_ship_at', { withTimezone: true }),
  },
  (t) => [
    index('orders_user_created_idx').on(t.userId, t.createdAt),
    check('orders_total_nonnegative', sql`${t.totalMinor} >= 0`),
    check('orders_refund_bounded', sql`${t.refundedMinor} between 0 and ${t.totalMinor}`),
    // Defence in depth behind the Stripe schemas: only a brand and four digits fit here.
    check('orders_card_last4_digits', sql`${t.cardLast4} ~ '^[0-9]{4}$'`),
    check('orders_card_brand_bounded', sql`${t.cardBrand} ~ '^[a-z][a-z0-9_]{0,31}$'`),
  ],
);

/** Line items priced by the server at checkout; name and price are snapshots. */
export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    name: text('name').notNull(),
    unitPriceMinor: integer('unit_price_minor').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);

export const paymentReviewReason = pgEnum('payment_review_reason', [
  'amount_mismatch',
  'currency_mismatch',
  'unexpected_stripe_data',
  'payment_intent_missing',
  'unknown_order',
]);

/**
 * Payments staff must look at (finding 8.2, 8.7): money that does not match its order, data
 * from Stripe outside its schema, an event for an intent Stripe does not know, a payment for
 * no order of ours. Written by the webhook in the transaction that acknowledges the event, so
 * Stripe is not left retrying an event no retry can fix. `detail` holds our own values and
 * Stripe's amounts and currency codes only, never a value that failed validation. The api
 * may only insert; the admin portal reads and resolves.
 */
export const paymentReviews = pgTable(
  'payment_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    reason: paymentReviewReason('reason').notNull(),
    orderId: uuid('order_id').references(() => orders.id),
    eventId: text('event_id').notNull(),
    paymentIntentId: text('payment_intent_id'),
    detail: jsonb('detail').$type<Record<string, string | number | null>>().notNull().default({}),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    index('payment_reviews_open_idx').on(t.createdAt).where(sql`${t.resolvedAt} is null`),
    check('payment_reviews_event_id_bounded', sql`length(${t.eventId}) between 1 and 255`),
    check('payment_reviews_intent_id_bounded', sql`length(${t.paymentIntentId}) between 1 and 255`),
  ],
);
