import { and, eq, isNull } from 'drizzle-orm';
import { issueOneTimeToken } from '../../accounts/one-time-tokens.js';
import type { Database, DatabaseTx } from '../../db/client.js';
import { users } from '../../db/schema/index.js';
import { writeMailRequest } from '../../pipeline/outbox.js';

/**
 * Account rows hold no personal data: a blind index for login and the tokens the tokenizer
 * handed out (which the api can never turn back into values).
 */
export interface NewAccount {
  id: string;
  emailBlindIndex: string;
  emailToken: string;
  nameToken: string;
  passwordHash: string;
}

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(err: unknown): boolean {
  for (let e = err, i = 0; e && typeof e === 'object' && i < 4; i++) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Creates the account and, in the same transaction, its email-verification token and the
 * request for the mail that carries it: an account never exists without its verification
 * mail on the way. Returns false when the blind index (so the normalised email) is taken.
 */
export async function createAccount(db: Database, values: NewAccount): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await tx.insert(users).values(values);
      const token = await issueOneTimeToken(tx, values.id, 'email_verification');
      await writeMailRequest(tx, { template: 'email_verification', userId: values.id, token });
    });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function emailIndexTaken(db: Database, emailBlindIndex: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.emailBlindIndex, emailBlindIndex))
    .limit(1);
  return row !== undefined;
}

/**
 * The account that may sign in with this email: one whose owner has asked for deletion (or
 * that is erased) is no account from then on, so login and password reset treat it as unknown.
 */
export async function findAccountByEmailIndex(
  db: Database,
  emailBlindIndex: string,
): Promise<{ id: string; passwordHash: string; emailVerified: boolean } | null> {
  const [row] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(and(eq(users.emailBlindIndex, emailBlindIndex), isNull(users.deletionRequestedAt)))
    .limit(1);
  return row?.passwordHash
    ? { id: row.id, passwordHash: row.passwordHash, emailVerified: row.verifiedAt !== null }
    : null;
}

/** The password hash of an account that may still sign in, or null (deleted, erased, unknown). */
export async function activePasswordHash(db: Database | DatabaseTx, id: string): Promise<string | null> {
  const [row] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletionRequestedAt)))
    .limit(1);
  return row?.passwordHash ?? null;
}

/** Null when the account is unknown or no longer active; else whether its email is verified. */
export async function emailVerified(db: Database, id: string): Promise<boolean | null> {
  const [row] = await db
    .select({ verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletionRequestedAt)))
    .limit(1);
  return row ? row.verifiedAt !== null : null;
}
