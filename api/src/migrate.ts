import { pathToFileURL } from 'node:url';
import { loadConfig } from '@shop/shared/config';
import Type from 'typebox';
import { runMigrations } from './db/migrate.js';
import { RUNTIME_ROLE, setRolePasswords } from './db/roles.js';

/**
 * The one-shot migration job of compose.yaml (`api-migrate`): applies the api's migrations as
 * the owner, then gives the runtime roles the passwords of their connection URLs. Only this job
 * holds the owner's credentials; the api and the order-worker connect as their own roles and
 * can run no DDL (PCI DSS v4.0.1 7.2.2, 7.2.5).
 */
export const MigrateJobSchema = Type.Object({
  DATABASE_MIGRATION_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The api's runtime URL (role shop_api): its password becomes the role's. */
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The order-worker's URL (role shop_order_worker). */
  WORKER_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
});

/** The role each URL must name: a URL for another role is refused, so no other role's password is set. */
const ROLES = { DATABASE_URL: RUNTIME_ROLE, WORKER_DATABASE_URL: 'shop_order_worker' } as const;

export function rolePasswords(config: Record<keyof typeof ROLES, string>): { role: string; password: string }[] {
  return (Object.keys(ROLES) as (keyof typeof ROLES)[]).map((variable) => {
    const url = new URL(config[variable]);
    const role = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (role !== ROLES[variable])
      throw new Error(`${variable} must connect as ${ROLES[variable]}, not ${role || '(none)'}`);
    if (password.length < 16) throw new Error(`${variable} must carry a password of 16 characters or more`);
    return { role, password };
  });
}

export async function runMigrateJob(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(MigrateJobSchema, env);
  const roles = rolePasswords(config);
  await runMigrations(config.DATABASE_MIGRATION_URL);
  await setRolePasswords(config.DATABASE_MIGRATION_URL, roles);
  console.log(`[api-migrate] migrations applied; passwords set for ${roles.map((r) => r.role).join(', ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMigrateJob().catch((err: Error) => {
    // The message only: a connection error can quote the URL it was given.
    console.error(`[api-migrate] failed: ${err.name}: ${err.message.replace(/\/\/[^@\s]*@/g, '//***@')}`);
    process.exitCode = 1;
  });
}
