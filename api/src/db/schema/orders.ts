import { sql } from 'drizzle-orm';
import {
  boolean,
  char,
  check,
  index,
  integer,
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
    // Bumped each time checkout re-prices the order: part of the Stripe idempotency key of the
    // PaymentIntent update, so a changed amount is a new request and a retried one a replay.
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
