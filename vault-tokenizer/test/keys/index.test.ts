import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@shop/shared/config';
import { CountingKeyProvider } from '../../src/keys/counting-key-provider.js';
import { createKeyProvider, KeyProviderConfigSchema } from '../../src/keys/index.js';
import { LocalKeyProvider } from '../../src/keys/local-key-provider.js';
import { VaultKeyProvider } from '../../src/keys/vault-key-provider.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'key-provider-factory-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

describe('createKeyProvider', () => {
  it('chooses the local file provider when VAULT_ADDR is unset, and prints that it is not for production', async () => {
    const file = path.join(dir, 'kek.json');
    const printed: string[] = [];
    const config = loadConfig(KeyProviderConfigSchema, { TOKENIZER_LOCAL_KEK_FILE: file });
    const provider = createKeyProvider(config, { log: (m) => printed.push(m), nodeEnv: 'development' });
    assert.ok(provider instanceof LocalKeyProvider);
    assert.equal(provider.kind, 'local-file');
    assert.equal(printed.length, 1);
    assert.match(printed[0] ?? '', /NOT FOR PRODUCTION/);
    assert.match(printed[0] ?? '', /VAULT_ADDR/);
    await provider.generateKey();
    await fs.access(file);
    await provider.close();
  });

  it('[C-015] refuses to start the local provider when NODE_ENV=production (PCI DSS 3.6.1)', () => {
    const config = loadConfig(KeyProviderConfigSchema, {});
    assert.throws(
      () => createKeyProvider(config, { log: () => {}, nodeEnv: 'production' }),
      (err: unknown) => err instanceof ConfigError && /VAULT_ADDR/.test(err.message),
    );
  });

  it('chooses Vault transit when VAULT_ADDR is set, with the documented defaults', async () => {
    const config = loadConfig(KeyProviderConfigSchema, {
      VAULT_ADDR: 'https://vault.internal:8200',
      VAULT_ROLE_ID: 'role',
      VAULT_SECRET_ID: 'secret',
    });
    assert.equal(config.VAULT_TRANSIT_MOUNT, 'transit');
    assert.equal(config.VAULT_TRANSIT_KEY, 'tokenizer-kek');
    const printed: string[] = [];
    const provider = createKeyProvider(config, { log: (m) => printed.push(m), nodeEnv: 'production' });
    assert.ok(provider instanceof VaultKeyProvider);
    assert.equal(provider.kind, 'vault-transit');
    assert.deepEqual(printed, []);
    await provider.close();
  });

  it('names the missing variable when the Vault settings are incomplete', () => {
    const base = { VAULT_ADDR: 'http://127.0.0.1:8200' };
    assert.throws(() => createKeyProvider(loadConfig(KeyProviderConfigSchema, base)), /VAULT_ROLE_ID/);
    assert.throws(
      () => createKeyProvider(loadConfig(KeyProviderConfigSchema, { ...base, VAULT_ROLE_ID: 'r' })),
      /VAULT_SECRET_ID or VAULT_SECRET_ID_FILE/,
    );
    assert.throws(
      () =>
        createKeyProvider(
          loadConfig(KeyProviderConfigSchema, {
            ...base,
            VAULT_ROLE_ID: 'r',
            VAULT_SECRET_ID: 's',
            VAULT_SECRET_ID_FILE: '/run/secrets/x',
          }),
        ),
      /exactly one/,
    );
    assert.throws(
      () =>
        createKeyProvider(
          loadConfig(KeyProviderConfigSchema, {
            ...base,
            VAULT_ROLE_ID: 'r',
            VAULT_SECRET_ID: 's',
            VAULT_CACERT: path.join(dir, 'missing-ca.pem'),
          }),
        ),
      /VAULT_CACERT/,
    );
  });

  it('refuses malformed values with the variable named', () => {
    assert.throws(() => loadConfig(KeyProviderConfigSchema, { VAULT_ADDR: 'vault:8200' }), /VAULT_ADDR/);
    assert.throws(() => loadConfig(KeyProviderConfigSchema, { VAULT_TRANSIT_KEY: '../sys/seal' }), /VAULT_TRANSIT_KEY/);
    assert.throws(
      () => loadConfig(KeyProviderConfigSchema, { VAULT_TRANSIT_MOUNT: 'transit/../sys' }),
      /VAULT_TRANSIT_MOUNT/,
    );
  });
});

describe('CountingKeyProvider', () => {
  it('counts every call per method and passes results through unchanged', async () => {
    const counting = new CountingKeyProvider(new LocalKeyProvider({ file: path.join(dir, 'counted.json') }));
    const key = await counting.generateKey();
    assert.deepEqual(await counting.unwrapKey(key), key.plaintext);
    assert.deepEqual(await counting.unwrapKey(await counting.rewrapKey(key)), key.plaintext);
    await counting.rotate();
    await counting.setMinDecryptionVersion(1);
    await counting.health();
    assert.deepEqual(counting.calls, {
      generateKey: 1,
      unwrapKey: 2,
      rewrapKey: 1,
      rotate: 1,
      setMinDecryptionVersion: 1,
      health: 1,
    });
    assert.equal(counting.keyCalls(), 4);
    assert.equal(counting.kind, 'local-file');
    counting.reset();
    assert.equal(counting.keyCalls(), 0);
    await counting.close();
  });
});
