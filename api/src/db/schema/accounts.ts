import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Shoppers. Designed for the tokenizer: login looks a user up by `emailBlindIndex`
 * (a keyed HMAC of the normalised email, made by the tokenizer) and personal data is
 * held as tokens. Until the tokenizer integration lands, `email` and `name` keep the
 * plain values; that integration's migration moves them into tokens and drops them.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email'),
    name: text('name'),
    emailBlindIndex: text('email_blind_index'),
    emailToken: text('email_token'),
    nameToken: text('name_token'),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => sql`now()`),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), uniqueIndex('users_email_blind_index_key').on(t.emailBlindIndex)],
);
