import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyProviderUnavailableError } from '../../src/keys/key-provider.js';
import {
  DEFAULT_LOCAL_KEK_FILE,
  LOCAL_KEY_PROVIDER_WARNING,
  LocalKeyProvider,
} from '../../src/keys/local-key-provider.js';
import { keyProviderContract } from './key-provider-contract.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'local-kek-test-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let counter = 0;
const freshFile = () => path.join(root, `case-${++counter}`, 'keys', 'kek.json');

keyProviderContract('LocalKeyProvider', async () => {
  const provider = new LocalKeyProvider({ file: freshFile() });
  return { provider, prefix: 'local', close: () => provider.close() };
});

describe('LocalKeyProvider: the key file', () => {
  it('creates the key file on first use with mode 0600 in a 0700 folder (PCI DSS 3.6.1.2)', async () => {
    const file = freshFile();
    const provider = new LocalKeyProvider({ file });
    await provider.generateKey();
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    const content = JSON.parse(await fs.readFile(file, 'utf8'));
    assert.equal(content.warning, LOCAL_KEY_PROVIDER_WARNING);
    assert.match(LOCAL_KEY_PROVIDER_WARNING, /NOT FOR PRODUCTION/);
    await provider.close();
  });

  it('keeps its default key file in a folder git ignores, so the key is never committed', () => {
    const repo = path.resolve(path.dirname(DEFAULT_LOCAL_KEK_FILE), '..');
    assert.equal(path.relative(repo, DEFAULT_LOCAL_KEK_FILE), path.join('.keys', 'tokenizer-local-kek.json'));
    // git check-ignore exits 0 only when the path is ignored.
    execFileSync('git', ['check-ignore', '-q', DEFAULT_LOCAL_KEK_FILE], { cwd: repo });
  });

  it('refuses a key file that group or others can read, rather than using it (ASVS 6.4.1)', async () => {
    const file = freshFile();
    const provider = new LocalKeyProvider({ file });
    const key = await provider.generateKey();
    await fs.chmod(file, 0o644);
    await assert.rejects(provider.unwrapKey(key), KeyProviderUnavailableError);
    await assert.rejects(provider.generateKey(), KeyProviderUnavailableError);
    const health = await provider.health();
    assert.equal(health.status, 'unavailable');
    await fs.chmod(file, 0o600);
    assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
  });

  it('never replaces a damaged key file with a new key (that would lose every wrapped key)', async () => {
    const file = freshFile();
    const provider = new LocalKeyProvider({ file });
    await provider.generateKey();
    const before = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, '{ not json', { mode: 0o600 });
    const fresh = new LocalKeyProvider({ file });
    await assert.rejects(fresh.generateKey(), KeyProviderUnavailableError);
    assert.equal(await fs.readFile(file, 'utf8'), '{ not json');
    assert.notEqual(before, '{ not json');
  });

  it('gives one key to processes that start at the same time on a new file', async () => {
    const file = freshFile();
    const providers = Array.from({ length: 8 }, () => new LocalKeyProvider({ file }));
    const keys = await Promise.all(providers.map((p) => p.generateKey()));
    for (const p of providers) {
      for (const k of keys) assert.deepEqual(await p.unwrapKey(k), k.plaintext);
    }
  });

  it('sees a rotation and a new min decryption version made by another process without a restart', async () => {
    const file = freshFile();
    const service = new LocalKeyProvider({ file });
    const rotationCommand = new LocalKeyProvider({ file });
    const old = await service.generateKey();
    const latest = await rotationCommand.rotate();
    const rewrapped = await rotationCommand.rewrapKey(old);
    assert.deepEqual(await service.unwrapKey(rewrapped), old.plaintext);
    assert.equal((await service.generateKey()).keyVersion, latest);
    await rotationCommand.setMinDecryptionVersion(latest);
    await assert.rejects(service.unwrapKey(old), /min decryption version/);
  });

  it('serialises concurrent rotations so no version is lost', async () => {
    const file = freshFile();
    const providers = Array.from({ length: 5 }, () => new LocalKeyProvider({ file }));
    await providers[0]?.generateKey();
    const versions = await Promise.all(providers.map((p) => p.rotate()));
    assert.deepEqual(
      versions.sort((a, b) => a - b),
      [2, 3, 4, 5, 6],
    );
    const content = JSON.parse(await fs.readFile(file, 'utf8'));
    assert.deepEqual(Object.keys(content.keys), ['1', '2', '3', '4', '5', '6']);
  });
});
