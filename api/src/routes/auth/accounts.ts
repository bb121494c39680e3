import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { users } from '../../db/schema/index.js';

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

/** Returns false when the blind index (so the normalised email) is already registered. */
export async function createAccount(db: Database, values: NewAccount): Promise<boolean> {
  try {
    await db.insert(users).values(values);
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

export async function findAccountByEmailIndex(
  db: Database,
  emailBlindIndex: string,
): Promise<{ id: string; passwordHash: string } | null> {
  const [row] = await db
    .select({ id: users.id, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.emailBlindIndex, emailBlindIndex))
    .limit(1);
  return row ?? null;
}

export async function accountExists(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, id)).limit(1);
  return row !== undefined;
}
