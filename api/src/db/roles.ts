import { standaloneClient } from './client.js';

/** The least-privilege role the api connects as (created by migration 0003). */
export const RUNTIME_ROLE = 'shop_api';

/** Runtime URL: the owner's URL with the runtime role and its password instead. */
export function runtimeUrl(ownerUrl: string, password?: string): string {
  const u = new URL(ownerUrl);
  u.username = RUNTIME_ROLE;
  u.password = password ?? '';
  return u.toString();
}

/** Embedded mode only: gives the runtime role a fresh random password at each start. */
export async function setRuntimePassword(ownerUrl: string, password: string): Promise<void> {
  await setRolePasswords(ownerUrl, [{ role: RUNTIME_ROLE, password }]);
}

/** Sets the login password of each role (as the owner); the role names are the caller's constants. */
export async function setRolePasswords(ownerUrl: string, roles: { role: string; password: string }[]): Promise<void> {
  const client = standaloneClient({ connectionString: ownerUrl });
  await client.connect();
  try {
    for (const { role, password } of roles) {
      const q = (
        await client.query<{ r: string; p: string }>('select quote_ident($1) as r, quote_literal($2) as p', [
          role,
          password,
        ])
      ).rows[0];
      await client.query(`ALTER ROLE ${q?.r} PASSWORD ${q?.p}`);
    }
  } finally {
    await client.end();
  }
}
