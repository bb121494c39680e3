import pg from 'pg';
import { loadVerifyKey, verifyAudit } from '../audit/checkpoints.js';
import { loadAdminConfig } from '../config.js';

/**
 * `audit verify`: checks the portal's audit chain and its signed checkpoints with the public
 * key only, and names the first entry that cannot be trusted. Exit code 0 only when intact.
 * It reads as the database owner or any role with SELECT on admin.audit_*.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] !== 'verify') throw new Error('usage: audit verify');
  const config = loadAdminConfig();
  const key = await loadVerifyKey(config.ADMIN_AUDIT_VERIFY_KEY_FILE);
  const db = new pg.Pool({ connectionString: config.ADMIN_RUNTIME_DATABASE_URL ?? config.ADMIN_DATABASE_URL, max: 1 });
  try {
    const result = await verifyAudit(db, key);
    if (result.ok) {
      console.log(
        `audit trail intact: ${result.entries} entries, ${result.checkpoints} signed checkpoints, ${result.unsignedTail} entries after the latest checkpoint`,
      );
      return 0;
    }
    console.log(`audit trail BROKEN at entry ${result.brokenAt}: ${result.problem}`);
    return 1;
  } finally {
    await db.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(2);
  },
);
