import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { users } from '../../db/schema/index.js';

export interface AccountRow {
  id: string;
  email: string;
  name: string;
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

/** Returns null when the (normalised) email is already registered. */
export async function createAccount(
  db: Database,
  values: { email: string; name: string; passwordHash: string },
): Promise<AccountRow | null> {
  try {
    const [row] = await db
      .insert(users)
      .values(values)
      .returning({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash });
    return row ? { ...row, email: row.email ?? '', name: row.name ?? '' } : null;
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

export async function findAccountByEmail(db: Database, email: string): Promise<AccountRow | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email))
    .limit(1);
  return row ? { ...row, email: row.email ?? '', name: row.name ?? '' } : null;
}

export async function findAccountById(db: Database, id: string): Promise<Omit<AccountRow, 'passwordHash'> | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, id))
    .limit(1);
  return row ? { id: row.id, email: row.email ?? '', name: row.name ?? '' } : null;
}
