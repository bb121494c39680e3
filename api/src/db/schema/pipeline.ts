import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Transactional outbox: a row is written in the same transaction as the state change it
 * announces, so an event can never be lost between the database and the broker. The relay
 * sets `dispatchedAt` only after the broker confirmed the message (or, with no broker, after
 * an embedded worker handled it).
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // Carried as the AMQP message id: consumers deduplicate on it.
    messageId: uuid('message_id').notNull().unique().defaultRandom(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    // Embedded mode only: failed handling attempts, and when the row was given up as poison.
    attempts: integer('attempts').notNull().default(0),
    deadAt: timestamp('dead_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [index('outbox_pending_idx').on(t.id).where(sql`${t.dispatchedAt} is null and ${t.deadAt} is null`)],
);

/** Message ids a consumer has already applied: redeliveries and relay duplicates become no-ops. */
export const processedMessages = pgTable(
  'processed_messages',
  {
    consumer: text('consumer').notNull(),
    messageId: uuid('message_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
);

/** Stripe event ids already handled: Stripe retries for days and may deliver an event more than once. */
export const stripeEvents = pgTable('stripe_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per mail request the order-worker has finished with (contract: shared/src/mail-request.ts):
 * `sent` once the SMTP server accepted it, `dead` when it was given up after the delivery limit.
 * Its primary key makes sending idempotent per request id. No address and no token is stored.
 */
export const mailDeliveries = pgTable('mail_deliveries', {
  requestId: uuid('request_id').primaryKey(),
  template: text('template').notNull(),
  userId: uuid('user_id').notNull(),
  status: text('status', { enum: ['sent', 'dead'] }).notNull(),
  attempts: integer('attempts').notNull().default(1),
  finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
});
