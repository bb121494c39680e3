import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Shoppers. No personal data in plain (ARCHITECTURE "What data lives where"): login looks a
 * user up by `emailBlindIndex` (a keyed HMAC of the normalised email, made by the tokenizer;
 * nobody here can reverse it), and email and name are held as tokens the api can never read
 * back (its tokenizer policy denies detokenize). The plain `email`/`name` columns of earlier
 * versions are dropped by migration 0006 once `npm run backfill-pii -w api` has emptied them.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    emailBlindIndex: text('email_blind_index'),
    emailToken: text('email_token'),
    nameToken: text('name_token'),
    passwordHash: text('password_hash').notNull(),
    // Set once the shopper followed the mailed verification link; checkout requires it.
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    // Set by `POST /api/me/delete`: sessions are gone, the final mail is requested, and the
    // subject is erased at the tokenizer once that mail is recorded in `mail_deliveries`.
    deletionRequestedAt: timestamp('deletion_requested_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => sql`now()`),
  },
  (t) => [uniqueIndex('users_email_blind_index_key').on(t.emailBlindIndex)],
);
