import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { loadApiConfig } from '../../src/config.js';
import { tokenizerFromConfig } from '../../src/pii/tokenizer-from-config.js';

// TOKENIZER_*: a tokenizer link is either complete (https URL plus the three PEM files) or
// absent; a half-configured one stops the start naming what is missing, rather than running
// without the tokenizer the operator meant to use.

describe('TOKENIZER_* configuration', () => {
  const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x' };

  it('leaves the tokenizer unset when TOKENIZER_URL is unset', async () => {
    const config = loadApiConfig(base);
    assert.equal(config.TOKENIZER_URL, undefined);
    assert.equal(await tokenizerFromConfig(config), undefined);
  });

  for (const missing of ['TOKENIZER_CA_FILE', 'TOKENIZER_CERT_FILE', 'TOKENIZER_KEY_FILE']) {
    it(`refuses TOKENIZER_URL without ${missing}, naming it`, () => {
      const env: Record<string, string> = {
        ...base,
        TOKENIZER_URL: 'https://vault-tokenizer:3100',
        TOKENIZER_CA_FILE: '/ca.pem',
        TOKENIZER_CERT_FILE: '/cert.pem',
        TOKENIZER_KEY_FILE: '/key.pem',
      };
      delete env[missing];
      assert.throws(() => loadApiConfig(env), new RegExp(`${missing} is required when TOKENIZER_URL is set`));
    });
  }

  it('refuses a plain http TOKENIZER_URL, naming it (the link is mutual TLS only)', () => {
    assert.throws(() => loadApiConfig({ ...base, TOKENIZER_URL: 'http://vault-tokenizer:3100' }), /TOKENIZER_URL/);
  });

  it('fails the start naming a PEM file that is missing or not a PEM', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'api-tokenizer-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
    await ca.issue('api');
    const notPem = join(dir, 'not-a-key.pem');
    await writeFile(notPem, 'hello');
    const env = {
      ...base,
      TOKENIZER_URL: 'https://127.0.0.1:1',
      TOKENIZER_CA_FILE: ca.caFile,
      TOKENIZER_CERT_FILE: join(dir, 'missing-cert.pem'),
      TOKENIZER_KEY_FILE: ca.keyFile('api'),
    };
    await assert.rejects(tokenizerFromConfig(loadApiConfig(env)), /missing-cert\.pem/);
    await assert.rejects(
      tokenizerFromConfig(
        loadApiConfig({ ...env, TOKENIZER_CERT_FILE: ca.certFile('api'), TOKENIZER_KEY_FILE: notPem }),
      ),
      /not-a-key\.pem/,
    );
    const client = await tokenizerFromConfig(loadApiConfig({ ...env, TOKENIZER_CERT_FILE: ca.certFile('api') }));
    assert.ok(client);
    client.close();
  });
});
