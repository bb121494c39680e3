import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@shop/shared/test-harness';
import pg from 'pg';
import { migrate } from '../../src/db/database.js';
import { LocalKeyProvider } from '../../src/keys/index.js';
import { RUNTIME_ROLE } from '../helper.js';

// The operator commands as run from npm: `certs` (issue, revoke) and `rotate-keys`.

const run = promisify(execFile);
const CERTS = fileURLToPath(new URL('../../src/cli/certs.ts', import.meta.url));
const ROTATE = fileURLToPath(new URL('../../src/cli/rotate-keys.ts', import.meta.url));
let dir: string;
let db: TestDatabase;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenizer-cli-'));
  db = await createTestDatabase('tokenizer_cli');
});
after(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

function node(script: string, args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
  });
}

describe('certs command', () => {
  it('issues certificates for every service that runs (no admin-portal), and a revoked one is listed in the CRL', async () => {
    const env = { TOKENIZER_CERTS_DIR: join(dir, 'ca') };
    const init = await node(CERTS, ['init'], env);
    for (const s of ['vault-tokenizer', 'api', 'order-worker']) assert.match(init.stdout, new RegExp(`issued ${s}`));
    // Pentest finding 8.9: no reveal credential before the admin portal exists.
    assert.doesNotMatch(init.stdout, /issued admin-portal/);
    const serial = (
      await run('openssl', ['x509', '-noout', '-serial', '-in', join(dir, 'ca', 'api', 'cert.pem')])
    ).stdout
      .trim()
      .replace('serial=', '');
    const before = (await run('openssl', ['crl', '-noout', '-text', '-in', join(dir, 'ca', 'crl.pem')])).stdout;
    assert.ok(!before.includes(serial));
    await node(CERTS, ['revoke', 'api'], env);
    const crl = (await run('openssl', ['crl', '-noout', '-text', '-in', join(dir, 'ca', 'crl.pem')])).stdout;
    assert.ok(crl.toUpperCase().includes(serial.toUpperCase()), 'the CRL lists the revoked serial');
    await assert.rejects(node(CERTS, ['issue', 'Not A Name'], env), /not a service name/);
  });
});

describe('rotate-keys command', () => {
  it('rotates the provider key, rewraps, prints progress, and refuses unknown options', async () => {
    const kek = join(dir, 'kek.json');
    await migrate(db.url, RUNTIME_ROLE);
    // One stored KEK, as a running tokenizer would have made it.
    const provider = new LocalKeyProvider({ file: kek });
    const generated = await provider.generateKey();
    const owner = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await owner.query(
        "INSERT INTO provider_wrapped_keys (id, purpose, provider_kind, ciphertext, key_version) VALUES ('kek_1', 'kek', $1, $2, $3)",
        [provider.kind, generated.ciphertext, generated.keyVersion],
      );
      const env = { TOKENIZER_DATABASE_URL: db.url, TOKENIZER_LOCAL_KEK_FILE: kek };
      const out = await node(ROTATE, ['--raise-min-decryption-version'], env);
      assert.match(out.stdout, /rotated the local-file key to version 2/);
      assert.match(out.stdout, /rewrapped 1\/1 keys/);
      assert.match(out.stdout, /min_decryption_version raised to 2/);
      const row = await owner.query("SELECT key_version FROM provider_wrapped_keys WHERE id = 'kek_1'");
      assert.equal(row.rows[0].key_version, 2);
      await assert.rejects(node(ROTATE, ['--yolo'], env), /unknown option --yolo/);
    } finally {
      await owner.end();
      await provider.close();
    }
  });
});
