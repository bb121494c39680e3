import type { GeneratedKey, KeyProvider, ProviderHealth, WrappedKey } from './key-provider.js';

export type KeyProviderMethod =
  | 'generateKey'
  | 'unwrapKey'
  | 'rewrapKey'
  | 'rotate'
  | 'setMinDecryptionVersion'
  | 'health';

/**
 * Wraps a key provider and counts calls per method. The tokenizer's key cache promises that
 * Vault is called neither per value nor per customer; the benchmark and the tests use this
 * count to prove it (target: at most 10 provider calls per 10,000 values).
 */
export class CountingKeyProvider implements KeyProvider {
  readonly calls: Record<KeyProviderMethod, number> = {
    generateKey: 0,
    unwrapKey: 0,
    rewrapKey: 0,
    rotate: 0,
    setMinDecryptionVersion: 0,
    health: 0,
  };

  constructor(readonly inner: KeyProvider) {}

  get kind(): string {
    return this.inner.kind;
  }

  /** Calls that touch key material (generate, unwrap, rewrap): the ones a cache must keep rare. */
  keyCalls(): number {
    return this.calls.generateKey + this.calls.unwrapKey + this.calls.rewrapKey;
  }

  reset(): void {
    for (const method of Object.keys(this.calls) as KeyProviderMethod[]) this.calls[method] = 0;
  }

  generateKey(): Promise<GeneratedKey> {
    this.calls.generateKey += 1;
    return this.inner.generateKey();
  }

  unwrapKey(wrapped: WrappedKey): Promise<Buffer> {
    this.calls.unwrapKey += 1;
    return this.inner.unwrapKey(wrapped);
  }

  rewrapKey(wrapped: WrappedKey): Promise<WrappedKey> {
    this.calls.rewrapKey += 1;
    return this.inner.rewrapKey(wrapped);
  }

  rotate(): Promise<number> {
    this.calls.rotate += 1;
    return this.inner.rotate();
  }

  setMinDecryptionVersion(version: number): Promise<void> {
    this.calls.setMinDecryptionVersion += 1;
    return this.inner.setMinDecryptionVersion(version);
  }

  health(): Promise<ProviderHealth> {
    this.calls.health += 1;
    return this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
