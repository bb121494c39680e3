import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DatabaseTx } from '../db/client.js';
import { accountTokens } from '../db/schema/index.js';
import { AccountTokenExpiredError, AccountTokenInvalidError, AccountTokenUsedError } from '../errors.js';

export type TokenPurpose = 'email_verification' | 'password_reset';

/** ASVS 2.5.x, 3.x: verification links live a day, reset links half an hour (issue: account lifecycle). */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = {
  email_verification: 24 * 60 * 60 * 1000,
  password_reset: 30 * 60 * 1000,
};

/** 256 bits from the CSPRNG, base64url (43 characters): what the mailed link carries. */
export function newOneTimeToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this is stored: a database dump yields no link that works. */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * Issues a token of `purpose` for `userId` in the caller's transaction (the same one that
 * requests the mail carrying it). Earlier unused tokens of that purpose stop working: only the
 * newest link is valid.
 */
export async function issueOneTimeToken(tx: DatabaseTx, userId: string, purpose: TokenPurpose): Promise<string> {
  const token = newOneTimeToken();
  await tx
    .delete(accountTokens)
    .where(and(eq(accountTokens.userId, userId), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt)));
  await tx.insert(accountTokens).values({
    tokenHash: hashOneTimeToken(token),
    purpose,
    userId,
    expiresAt: sql`now() + ${`${TOKEN_LIFETIME_MS[purpose]} milliseconds`}::interval`,
  });
  return token;
}

/**
 * Spends a token: returns its user when it exists for this purpose, is unexpired and unused,
 * and marks it used in the same statement (two requests racing with one token: one wins).
 * Otherwise throws the stable refusal: `account_token_invalid` (never issued, forged,
 * truncated, another purpose's), `account_token_expired`, `account_token_used`.
 */
export async function consumeOneTimeToken(tx: DatabaseTx, token: string, purpose: TokenPurpose): Promise<string> {
  const tokenHash = hashOneTimeToken(token);
  const [spent] = await tx
    .update(accountTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        eq(accountTokens.purpose, purpose),
        isNull(accountTokens.usedAt),
        sql`${accountTokens.expiresAt} > now()`,
      ),
    )
    .returning({ userId: accountTokens.userId });
  if (spent) return spent.userId;
  const [row] = await tx
    .select({ usedAt: accountTokens.usedAt })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose)));
  if (!row) throw new AccountTokenInvalidError();
  if (row.usedAt) throw new AccountTokenUsedError();
  throw new AccountTokenExpiredError();
}

/**
 * The work of issuing a token and requesting its mail, for an email that has no account: the
 * same token generation and as many statements in a transaction, writing nothing. A password
 * reset then costs about the same for a known and an unknown email (no enumeration by timing,
 * ASVS 2.5.x / 2.2.x); the per-client and per-email limits bound what remains measurable.
 */
export async function decoyTokenIssue(tx: DatabaseTx): Promise<void> {
  const tokenHash = hashOneTimeToken(newOneTimeToken());
  await tx.delete(accountTokens).where(and(eq(accountTokens.userId, randomUUID()), isNull(accountTokens.usedAt)));
  await tx.select({ userId: accountTokens.userId }).from(accountTokens).where(eq(accountTokens.tokenHash, tokenHash));
  await tx.execute(sql`select ${randomUUID()}::uuid`);
  await tx.execute(sql`select 1`);
}
