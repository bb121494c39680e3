/**
 * The root of the tokenizer's key hierarchy. The production form is Vault's transit
 * engine (vault-key-provider.ts); the embedded default is a local key-encryption key in
 * an ignored file (local-key-provider.ts), with the same envelope format. Both wrap the
 * tokenizer's key-encryption keys (KEKs); per-customer data keys are wrapped by a KEK
 * in the tokenizer itself, so the provider is called per KEK, never per value or customer.
 */
export interface WrappedKey {
  /** Opaque ciphertext of the key as the provider returns it (Vault: `vault:v<N>:...`). */
  ciphertext: string;
  /** Version of the provider key that wrapped it (Vault transit key version). */
  keyVersion: number;
}

export interface GeneratedKey extends WrappedKey {
  /** 32 random bytes; the caller wipes it (`fill(0)`) when its cache entry ends. */
  plaintext: Buffer;
}

export type ProviderHealth = { status: 'ok' } | { status: 'sealed' | 'unavailable'; reason: string };

export interface KeyProvider {
  /** `vault-transit` or `local-file`; printed at start, recorded with each wrapped key. */
  readonly kind: string;
  /** Creates a new 256-bit key: its plaintext and its wrapped form (transit `datakey/plaintext`). */
  generateKey(): Promise<GeneratedKey>;
  /** Unwraps a key wrapped by this provider (transit `decrypt`). */
  unwrapKey(wrapped: WrappedKey): Promise<Buffer>;
  /** Re-wraps under the provider's latest key version without exposing the plaintext (transit `rewrap`). */
  rewrapKey(wrapped: WrappedKey): Promise<WrappedKey>;
  /** Rotates the provider key; returns the new latest version (transit `keys/<name>/rotate`). */
  rotate(): Promise<number>;
  /** Raises the oldest version that may still decrypt (transit `min_decryption_version`). */
  setMinDecryptionVersion(version: number): Promise<void>;
  health(): Promise<ProviderHealth>;
  close(): Promise<void>;
}

/** Thrown when the provider cannot serve (Vault sealed, down, or permission denied): callers answer 503, never fall back. */
export class KeyProviderUnavailableError extends Error {
  override name = 'KeyProviderUnavailableError';
  constructor(
    message: string,
    readonly reason: 'sealed' | 'unavailable' | 'forbidden',
  ) {
    super(message);
  }
}

/**
 * Thrown when the provider is up but refuses one wrapped key: its version is below the
 * key's `min_decryption_version` (retired after a rotation), or the ciphertext was altered
 * or wrapped by another key. That key is unreadable; retrying will not help.
 */
export class WrappedKeyRejectedError extends Error {
  override name = 'WrappedKeyRejectedError';
  constructor(
    message: string,
    readonly reason: 'version_disallowed' | 'invalid_ciphertext',
  ) {
    super(message);
  }
}
