import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@shop/shared/test-harness';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadApiConfig } from '../../src/config.js';
import { backfillPii } from '../../src/db/backfill-pii.js';
import { MIGRATIONS_FOLDER, runMigrations } from '../../src/db/migrate.js';
import { runtimeUrl } from '../../src/db/roles.js';
import { type PiiClient, PiiUnavailableError } from '../../src/pii/pii-client.js';
import type { TokenizerClient } from '../../src/pii/tokenizer-client.js';
import { tokenizerFromConfig } from '../../src/pii/tokenizer-from-config.js';
import { hashPassword } from '../../src/routes/auth/password.js';
import { STRONG_PASSWORD, TestClient } from '../helper.js';
import { findValuesInDatabase } from '../support/pii-scan.js';
import { startRealTokenizer } from '../support/real-tokenizer.js';

// Upgrading a database written by earlier versions, which kept email and name in plain
// columns: migration 0006 refuses to drop them while they hold values, the backfill moves
// them into the real tokenizer (resumable, printing no value), then the drop goes through
// and the old shoppers log in by blind index.

const BACKFILL = fileURLToPath(new URL('../../src/db/backfill-pii.ts', import.meta.url));

/** Migrates a database only up to 0005, the last schema with the plain columns. */
async function migrateToPlainSchema(url: string, dir: string): Promise<void> {
  const folder = join(dir, 'drizzle-0005');
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 5);
  await writeFile(journalFile, JSON.stringify(journal));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}

function runCli(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', BACKFILL], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    p.stdout.on('data', (c) => {
      output += c;
    });
    p.stderr.on('data', (c) => {
      output += c;
    });
    p.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run backfill-pii -w api, before migration 0006 drops the plain columns', () => {
  it('stops the drop while plain values exist, backfills them resumably without printing one, then old shoppers log in', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'api-backfill-'));
    const database = await createTestDatabase('backfill');
    const owner = new pg.Pool({ connectionString: database.url, max: 2 });
    let app: FastifyInstance | undefined;
    let real: TokenizerClient | undefined;
    // One cleanup, in order: every connection closed before the database is dropped.
    t.after(async () => {
      await app?.close();
      real?.close();
      await owner.end();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    });
    const tokenizer = await startRealTokenizer(t);

    // 1. A database as earlier versions left it: 120 shoppers with plain email and name
    //    (one without a name), more than one batch of the backfill.
    await migrateToPlainSchema(database.url, dir);
    const hash = await hashPassword(STRONG_PASSWORD);
    const old = Array.from({ length: 120 }, (_, i) => ({
      email: `old.shopper.${i}.${process.pid}@example.org`,
      name: i === 7 ? null : `Old Shopper Number${i}x`,
    }));
    for (const o of old) {
      await owner.query('insert into users (email, name, password_hash) values ($1, $2, $3)', [o.email, o.name, hash]);
    }

    // 2. The drop refuses, naming the command, and changes nothing.
    await assert.rejects(runMigrations(database.url), (err: Error) => {
      const text = `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`;
      assert.match(text, /run the pii backfill first: npm run backfill-pii -w api/);
      return true;
    });
    const plain = await owner.query('select count(*)::int as n from users where email is not null');
    assert.equal(plain.rows[0].n, 120, 'nothing was dropped or changed');

    // 3. A run cut short by a tokenizer outage leaves the rows it did finished and the rest untouched.
    real = await tokenizerFromConfig(tokenizer.env);
    const client = real;
    if (!client) throw new Error('no tokenizer client');
    let calls = 0;
    const failing: PiiClient = {
      blindIndex: (f, v) => client.blindIndex(f, v),
      eraseSubject: (s) => client.eraseSubject(s),
      tokenize: (s, items) => {
        calls += 1;
        if (calls > 30) throw new PiiUnavailableError('tokenizer unreachable (ECONNRESET)');
        return client.tokenize(s, items);
      },
    };
    const lines: string[] = [];
    await assert.rejects(backfillPii({ ownerUrl: database.url, pii: failing, print: (l) => lines.push(l) }));
    const left = await owner.query('select count(*)::int as n from users where email is not null or name is not null');
    assert.equal(left.rows[0].n, 90);
    const halfDone = await owner.query(
      'select count(*)::int as n from users where email is null and email_blind_index is not null and email_token is not null',
    );
    assert.equal(halfDone.rows[0].n, 30, 'each row is all or nothing');

    // 4. The command, as an operator runs it, resumes, then applies the migrations itself.
    const env = { DATABASE_MIGRATION_URL: database.url, ...tokenizer.env };
    const run = await runCli(env);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /90 account\(s\) hold plain values/);
    assert.match(run.output, /90\/90 done, 0 left for review/);
    assert.match(run.output, /migrations applied/);
    const columns = await owner.query(
      "select column_name from information_schema.columns where table_name = 'users' and column_name in ('email', 'name')",
    );
    assert.equal(columns.rowCount, 0, 'migration 0006 dropped the plain columns');
    const again = await runCli(env);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /nothing to backfill/);

    // 5. No value was printed, none is left in any text column.
    const printed = `${lines.join('\n')}\n${run.output}\n${again.output}`.toLowerCase();
    for (const o of old) {
      assert.ok(!printed.includes(o.email), 'an email was printed');
      if (o.name) assert.ok(!printed.includes(o.name.toLowerCase()), 'a name was printed');
    }
    const values = old.flatMap((o) => (o.name ? [o.email, o.name] : [o.email]));
    assert.deepEqual(await findValuesInDatabase(database.url, values.slice(0, 40)), []);
    assert.deepEqual(await findValuesInDatabase(database.url, ['old.shopper.', 'Old Shopper']), []);

    // 6. Old shoppers log in through the api by blind index, with their old password.
    // (In-process sessions: this test is about the database and the tokenizer.)
    const shop = await buildApp(
      loadApiConfig({ LOG_LEVEL: 'silent', DATABASE_URL: runtimeUrl(database.url), ...tokenizer.env }),
    );
    app = shop;
    for (const o of [old[0], old[7], old[119]]) {
      if (!o) continue;
      const shopper = new TestClient(shop);
      const login = await shopper.login(o.email.toUpperCase(), STRONG_PASSWORD);
      assert.equal(login.statusCode, 200, login.body);
      assert.deepEqual((await shopper.request({ method: 'GET', url: '/api/me' })).json().email, o.email);
    }
  });

  it('refuses to run without TOKENIZER_URL or the owner connection, naming the variable', async () => {
    const noTokenizer = await runCli({ DATABASE_MIGRATION_URL: 'postgres://postgres@127.0.0.1:5432/none' });
    assert.equal(noTokenizer.code, 1);
    assert.match(noTokenizer.output, /TOKENIZER_URL/);
    const noOwner = await runCli({});
    assert.equal(noOwner.code, 1);
    assert.match(noOwner.output, /DATABASE_MIGRATION_URL/);
  });
});
