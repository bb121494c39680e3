import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allows, parsePolicy, TOKENIZER_POLICY_FILE } from '../vault-double/hcl-policy.js';

// Exactly what the tokenizer's Vault key provider and rotation command call (PCI DSS 3.6.1, 7.2.2).
const EXPECTED: Record<string, string[]> = {
  'transit/datakey/plaintext/tokenizer-kek': ['update'],
  'transit/decrypt/tokenizer-kek': ['update'],
  'transit/rewrap/tokenizer-kek': ['update'],
  'transit/keys/tokenizer-kek/rotate': ['update'],
  'transit/keys/tokenizer-kek/config': ['update'],
  'transit/keys/tokenizer-kek': ['read'],
  'auth/token/renew-self': ['update'],
  'auth/token/lookup-self': ['read'],
};

const rules = parsePolicy(readFileSync(TOKENIZER_POLICY_FILE, 'utf8'));

describe('[C-016] vault/tokenizer-policy.hcl: least privilege (PCI DSS 7.2.2)', () => {
  it('grants exactly the paths and capabilities the tokenizer uses, nothing more', () => {
    assert.deepEqual(Object.fromEntries(rules.map((r) => [r.path, [...r.capabilities].sort()])), EXPECTED);
  });

  it('uses no glob or parameter wildcard that could widen a rule', () => {
    for (const rule of rules) {
      assert.doesNotMatch(rule.path, /[*+]/, `${rule.path} is a glob`);
      assert.ok(!rule.path.startsWith('/'), `${rule.path} has a leading slash Vault would not match`);
    }
  });

  it('grants no sys/ path, no key export, backup, deletion or creation, and no other key', () => {
    for (const rule of rules) {
      assert.ok(!rule.path.startsWith('sys/'), rule.path);
      assert.doesNotMatch(rule.path, /^transit\/(export|backup|restore|random|hmac|encrypt|datakey\/wrapped)/);
      if (rule.path.startsWith('transit/')) assert.match(rule.path, /(^|\/)tokenizer-kek(\/|$)/);
      for (const capability of rule.capabilities) {
        assert.ok(!['sudo', 'delete', 'create', 'list', 'patch'].includes(capability), `${rule.path}: ${capability}`);
      }
    }
    assert.equal(allows(rules, 'DELETE', 'transit/keys/tokenizer-kek', {}), false);
    assert.equal(allows(rules, 'POST', 'transit/keys/tokenizer-kek', { type: 'aes256-gcm96' }), false);
    assert.equal(allows(rules, 'GET', 'transit/export/encryption-key/tokenizer-kek', {}), false);
    assert.equal(allows(rules, 'POST', 'sys/seal', {}), false);
    assert.equal(allows(rules, 'POST', 'transit/decrypt/other-key', { ciphertext: 'vault:v1:x' }), false);
  });

  it('lets the key config path change min_decryption_version only, never deletion or export', () => {
    const path = 'transit/keys/tokenizer-kek/config';
    assert.deepEqual(rules.find((r) => r.path === path)?.allowedParameters, { min_decryption_version: [] });
    assert.equal(allows(rules, 'POST', path, { min_decryption_version: 3 }), true);
    assert.equal(allows(rules, 'POST', path, { deletion_allowed: true }), false);
    assert.equal(allows(rules, 'POST', path, { exportable: true }), false);
    assert.equal(allows(rules, 'POST', path, { min_decryption_version: 3, allow_plaintext_backup: true }), false);
  });

  it('is read by a parser that refuses constructs outside the subset rather than skipping them', () => {
    assert.throws(
      () => parsePolicy('path "sys/*" { capabilities = ["sudo"] policy = "write" }'),
      /outside the supported/,
    );
    assert.throws(() => parsePolicy('path "a" { }'), /no capabilities/);
    assert.throws(
      () => parsePolicy('path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["update"] }'),
      /twice/,
    );
    assert.throws(() => parsePolicy('key "a" { capabilities = ["read"] }'), /expected path/);
  });
});
