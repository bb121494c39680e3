import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Non-negotiable 5: secrets come from the environment or Vault, never from the repository.
// secretlint (recommended rules plus the Stripe live key and Vault token patterns in
// .secretlintrc.json) scans every file git tracks; the second test proves the same
// configuration really finds planted secrets, so a scanner that silently checks nothing fails.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'node_modules', '.bin', 'secretlint');

/** One `path:line rule` per finding (secretlint's unix format, secrets masked). */
function scan(files: string[], cwd: string): string[] {
  const result = spawnSync(
    bin,
    ['--secretlintrc', join(root, '.secretlintrc.json'), '--format', 'unix', '--no-glob', '--no-color', ...files],
    { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.error) throw result.error;
  // Exit 0: nothing found; 1: findings listed on stdout; anything else: the scanner failed.
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`secretlint failed (exit ${result.status}): ${result.stderr.slice(0, 500)}`);
  }
  return result.stdout
    .split('\n')
    .map((line) => /^(.+?):(\d+):\d+: .*\[(?:Error|Warning)\/([^\]]+)\]$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${(m[1] ?? '').replace(`${cwd}/`, '')}:${m[2]} ${m[3]}`);
}

describe('[C-022] secret scanner', () => {
  it('finds no secret in any file the repository tracks', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    assert.ok(files.length > 100, `expected the whole tree, got ${files.length} files`);
    assert.deepEqual(scan(files, root), [], 'secrets found in tracked files');
  });

  it('finds a planted private key, Stripe live key, Vault token and database password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-scan-'));
    try {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(join(dir, 'service.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const random = randomBytes(24).toString('hex');
      writeFileSync(join(dir, 'stripe.ts'), `export const key = 'sk_live_${random}';\n`);
      writeFileSync(join(dir, 'vault.env'), `VAULT_TOKEN=hvs.${random}\n`);
      writeFileSync(join(dir, 'db.env'), `DATABASE_URL=postgres://shop:${random}@db:5432/shop\n`);
      const found = new Set(scan(['service.key', 'stripe.ts', 'vault.env', 'db.env'], dir).map((f) => f.split(':')[0]));
      assert.deepEqual([...found].sort(), ['db.env', 'service.key', 'stripe.ts', 'vault.env']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
