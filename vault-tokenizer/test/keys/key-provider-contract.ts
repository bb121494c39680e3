import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KeyProvider, type WrappedKey, WrappedKeyRejectedError } from '../../src/keys/key-provider.js';

export interface ContractSubject {
  provider: KeyProvider;
  /** Wrapped-key prefix this provider writes: `vault` or `local`. */
  prefix: 'vault' | 'local';
  close(): Promise<void>;
}

function rejected(reason: WrappedKeyRejectedError['reason']) {
  return (err: unknown) => {
    assert.ok(err instanceof WrappedKeyRejectedError, `expected WrappedKeyRejectedError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  };
}

/** Flips one character in the middle of the base64 body: an altered wrapped key. */
function tamper(wrapped: WrappedKey): WrappedKey {
  const at = wrapped.ciphertext.lastIndexOf(':') + 10;
  const c = wrapped.ciphertext[at] === 'A' ? 'B' : 'A';
  return { ...wrapped, ciphertext: `${wrapped.ciphertext.slice(0, at)}${c}${wrapped.ciphertext.slice(at + 1)}` };
}

/**
 * The behaviour every key provider owes the tokenizer, run against the local file
 * provider and against Vault transit (the double, or a real Vault when configured), so
 * the embedded default and production behave alike.
 */
export function keyProviderContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name}: the key provider contract`, () => {
    let subject: ContractSubject;
    let provider: KeyProvider;
    before(async () => {
      subject = await open();
      provider = subject.provider;
    });
    after(async () => {
      await subject?.close();
    });

    it('generates a fresh 256-bit key with a wrapped form that unwraps to the same bytes', async () => {
      const a = await provider.generateKey();
      const b = await provider.generateKey();
      assert.equal(a.plaintext.length, 32);
      assert.notDeepEqual(a.plaintext, b.plaintext);
      assert.match(a.ciphertext, new RegExp(`^${subject.prefix}:v${a.keyVersion}:`));
      // The wrapped form must not carry the key itself in any common encoding.
      for (const encoding of ['base64', 'hex', 'base64url'] as const) {
        assert.ok(!a.ciphertext.includes(a.plaintext.toString(encoding)));
      }
      assert.deepEqual(await provider.unwrapKey(a), a.plaintext);
      assert.deepEqual(await provider.unwrapKey(b), b.plaintext);
    });

    it('refuses an altered wrapped key instead of returning a wrong key', async () => {
      const key = await provider.generateKey();
      await assert.rejects(provider.unwrapKey(tamper(key)), rejected('invalid_ciphertext'));
    });

    it('refuses a wrapped key whose recorded version differs from its ciphertext', async () => {
      const key = await provider.generateKey();
      await assert.rejects(
        provider.unwrapKey({ ...key, keyVersion: key.keyVersion + 1 }),
        rejected('invalid_ciphertext'),
      );
    });

    it("refuses the other provider's ciphertext format", async () => {
      const other = subject.prefix === 'vault' ? 'local' : 'vault';
      const key = await provider.generateKey();
      const foreign = { ...key, ciphertext: key.ciphertext.replace(`${subject.prefix}:`, `${other}:`) };
      await assert.rejects(provider.unwrapKey(foreign), rejected('invalid_ciphertext'));
    });

    it('rotates to a new version: new keys use it and keys wrapped before stay readable', async () => {
      const old = await provider.generateKey();
      const latest = await provider.rotate();
      assert.equal(latest, old.keyVersion + 1);
      const fresh = await provider.generateKey();
      assert.equal(fresh.keyVersion, latest);
      assert.deepEqual(await provider.unwrapKey(old), old.plaintext);
      assert.deepEqual(await provider.unwrapKey(fresh), fresh.plaintext);
    });

    it('rewraps an old key under the latest version without changing the key', async () => {
      const old = await provider.generateKey();
      const latest = await provider.rotate();
      const rewrapped = await provider.rewrapKey(old);
      assert.equal(rewrapped.keyVersion, latest);
      assert.notEqual(rewrapped.ciphertext, old.ciphertext);
      assert.deepEqual(await provider.unwrapKey(rewrapped), old.plaintext);
    });

    it('makes keys below min_decryption_version unreadable, and rewrapped ones stay readable (PCI DSS 3.6.1.4)', async () => {
      const old = await provider.generateKey();
      const latest = await provider.rotate();
      const rewrapped = await provider.rewrapKey(old);
      await provider.setMinDecryptionVersion(latest);
      await assert.rejects(provider.unwrapKey(old), rejected('version_disallowed'));
      await assert.rejects(provider.rewrapKey(old), rejected('version_disallowed'));
      assert.deepEqual(await provider.unwrapKey(rewrapped), old.plaintext);
      const fresh = await provider.generateKey();
      assert.deepEqual(await provider.unwrapKey(fresh), fresh.plaintext);
    });

    it('refuses a min_decryption_version above the latest version', async () => {
      const key = await provider.generateKey();
      await assert.rejects(provider.setMinDecryptionVersion(key.keyVersion + 5), RangeError);
      await assert.rejects(provider.setMinDecryptionVersion(0), RangeError);
      assert.deepEqual(await provider.unwrapKey(key), key.plaintext);
    });

    it('reports itself healthy and names its kind', async () => {
      assert.deepEqual(await provider.health(), { status: 'ok' });
      assert.equal(provider.kind, subject.prefix === 'vault' ? 'vault-transit' : 'local-file');
    });
  });
}
