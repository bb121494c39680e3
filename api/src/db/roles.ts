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
  const client = standaloneClient({ connectionString: ownerUrl });
  await client.connect();
  try {
    const literal = (await client.query<{ q: string }>('select quote_literal($1) as q', [password])).rows[0]?.q;
    await client.query(`ALTER ROLE ${RUNTIME_ROLE} PASSWORD ${literal}`);
  } finally {
    await client.end();
  }
}
