import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
    // Null once the account is erased (POST /api/me/delete): nothing can sign in as it again.
    passwordHash: text('password_hash'),
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

/**
 * One-time secrets mailed to a shopper (email verification, password reset). Only the SHA-256
 * of the token is stored (ASVS 2.5.x / 3.x: a dump of this table yields no usable link); the
 * token itself travels once, in the mail request, to the order-worker. Single use (`usedAt`),
 * expiring (`expiresAt`); a new token of the same purpose replaces the earlier unused ones.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    purpose: text('purpose', { enum: ['email_verification', 'password_reset'] }).notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    index('account_tokens_user_purpose_idx').on(t.userId, t.purpose),
    check('account_tokens_purpose_known', sql`${t.purpose} in ('email_verification', 'password_reset')`),
    // A SHA-256 in base64url is 43 characters: nothing else (a token itself) fits here.
    check('account_tokens_hash_shape', sql`${t.tokenHash} ~ '^[A-Za-z0-9_-]{43}$'`),
  ],
);

/**
 * Accounts whose owner asked for deletion (POST /api/me/delete). The final mail is requested
 * in the same transaction (`mailRequestId`); the api's erasure step erases the subject at the
 * tokenizer and empties the account once `mail_deliveries` holds that request (sent or dead),
 * or after a bounded wait, then sets `erasedAt`.
 */
export const accountDeletions = pgTable(
  'account_deletions',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id),
    mailRequestId: uuid('mail_request_id').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [index('account_deletions_pending_idx').on(t.requestedAt).where(sql`${t.erasedAt} is null`)],
);
