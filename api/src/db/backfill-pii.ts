import type pg from 'pg';
import { loadApiConfig } from '../config.js';
import type { PiiClient, PiiField } from '../pii/pii-client.js';
import { PiiRejectedError } from '../pii/tokenizer-client.js';
import { tokenizerFromConfig } from '../pii/tokenizer-from-config.js';
import { normaliseEmail } from '../routes/auth/schemas.js';
import { standaloneClient } from './client.js';
import { runMigrations } from './migrate.js';

/**
 * Moves the plain `users.email` / `users.name` values of earlier versions into the
 * vault-tokenizer: per row, the email's blind index and the email and name tokens are
 * written and the plain columns nulled, in one UPDATE that only applies if the row still
 * holds the values read (so a concurrent change is picked up by the next run). Resumable:
 * a run only ever looks at rows that still hold a plain value. Prints progress with counts
 * and row ids, never a value.
 *
 * Order at upgrade: migration 0006 refuses to drop the columns while any plain value is
 * left, so the api's start fails naming this command; it backfills, then applies the
 * pending migrations (the drop included) itself, and the next start goes through.
 *
 *   DATABASE_MIGRATION_URL=<owner url> TOKENIZER_URL=... TOKENIZER_CA_FILE=... \
 *   TOKENIZER_CERT_FILE=... TOKENIZER_KEY_FILE=... npm run backfill-pii -w api
 */
export interface BackfillResult {
  /** Rows whose plain values were tokenized and nulled in this run. */
  done: number;
  /** Row ids left untouched (a value the tokenizer refused, or a duplicate email index). */
  failed: string[];
  /** False when the database has no plain columns any more (nothing to do). */
  hadPlainColumns: boolean;
}

interface PlainRow {
  id: string;
  email: string | null;
  name: string | null;
}

const BATCH = 100;
const UNIQUE_VIOLATION = '23505';

export async function backfillPii(options: {
  ownerUrl: string;
  pii: PiiClient;
  print?: (line: string) => void;
}): Promise<BackfillResult> {
  const print = options.print ?? ((line: string) => console.log(`[backfill-pii] ${line}`));
  const client = standaloneClient({ connectionString: options.ownerUrl, application_name: 'shop-api-backfill-pii' });
  await client.connect();
  try {
    const columns = await client.query<{ column_name: string }>(
      `select column_name from information_schema.columns
        where table_schema = 'public' and table_name = 'users' and column_name in ('email', 'name')`,
    );
    if (columns.rows.length < 2) {
      print('no plain email/name columns: nothing to backfill');
      return { done: 0, failed: [], hadPlainColumns: false };
    }
    const total = Number(
      (await client.query<{ n: string }>('select count(*) as n from users where email is not null or name is not null'))
        .rows[0]?.n ?? 0,
    );
    print(`${total} account(s) hold plain values`);
    const result: BackfillResult = { done: 0, failed: [], hadPlainColumns: true };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await client.query<PlainRow>(
        `select id, email, name from users
          where (email is not null or name is not null) and id > $1
          order by id limit ${BATCH}`,
        [after],
      );
      for (const row of batch.rows) {
        after = row.id;
        const outcome = await backfillRow(client, options.pii, row);
        if (outcome === 'done') result.done += 1;
        else {
          result.failed.push(row.id);
          print(`account ${row.id} left as is: ${outcome}`);
        }
      }
      if (batch.rows.length > 0) print(`${result.done}/${total} done, ${result.failed.length} left for review`);
      if (batch.rows.length < BATCH) break;
    }
    return result;
  } finally {
    await client.end();
  }
}

async function backfillRow(client: pg.Client, pii: PiiClient, row: PlainRow): Promise<'done' | string> {
  const email = row.email === null ? null : normaliseEmail(row.email);
  const items: { field: PiiField; value: string }[] = [];
  if (email !== null) items.push({ field: 'email', value: email });
  if (row.name !== null) items.push({ field: 'name', value: row.name });
  let tokens: string[];
  let index: string | null = null;
  try {
    // PiiUnavailableError propagates: the run stops and can be started again.
    if (email !== null) index = await pii.blindIndex('email', email);
    tokens = await pii.tokenize(row.id, items);
  } catch (err) {
    if (err instanceof PiiRejectedError) return `the tokenizer refused a value (${err.tokenizerCode})`;
    throw err;
  }
  const emailToken = email !== null ? tokens[0] : undefined;
  const nameToken = row.name !== null ? tokens[email !== null ? 1 : 0] : undefined;
  try {
    const updated = await client.query(
      `update users set
         email_blind_index = coalesce($2, email_blind_index),
         email_token = coalesce($3, email_token),
         name_token = coalesce($4, name_token),
         email = null, name = null, updated_at = now()
       where id = $1 and email is not distinct from $5 and name is not distinct from $6`,
      [row.id, index, emailToken ?? null, nameToken ?? null, row.email, row.name],
    );
    return updated.rowCount === 1 ? 'done' : 'changed while being backfilled (run again)';
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) return 'another account has the same email';
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadApiConfig();
  const ownerUrl = config.DATABASE_MIGRATION_URL;
  if (!ownerUrl) throw new Error('DATABASE_MIGRATION_URL (the owner connection) is required');
  if (!config.TOKENIZER_URL) throw new Error('TOKENIZER_URL (and TOKENIZER_CA/CERT/KEY_FILE) is required');
  const pii = await tokenizerFromConfig(config);
  if (!pii) throw new Error('no tokenizer client');
  try {
    const result = await backfillPii({ ownerUrl, pii });
    if (result.failed.length > 0) {
      console.error(`[backfill-pii] ${result.failed.length} account(s) need review; migrations not applied`);
      process.exitCode = 1;
      return;
    }
    // Every plain value is gone: the drop of the columns (migration 0006) can go through now.
    await runMigrations(ownerUrl);
    console.log('[backfill-pii] done; migrations applied');
  } finally {
    pii.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(`[backfill-pii] stopped: ${(err as Error).message} (run it again to resume)`);
    process.exit(1);
  });
}
