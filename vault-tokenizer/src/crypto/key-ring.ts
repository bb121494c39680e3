import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { TokenizerDb } from '../db/database.js';
import { providerWrappedKeys, subjectKeys } from '../db/schema.js';
import { IntegrityFailed, KeysUnavailable, SubjectErased } from '../errors.js';
import { type KeyProvider, KeyProviderUnavailableError } from '../keys/key-provider.js';
import { AuthenticationFailedError, open, pack, seal, unpack } from './aead.js';
import type { KeyCache } from './key-cache.js';

/**
 * The key hierarchy (ARCHITECTURE "What data lives where"):
 *   provider key (Vault transit / local file)  wraps  key-encryption keys (KEK) and the blind-index key
 *   KEK  wraps  one data key (DEK) per subject   (erasing a subject destroys only its DEK)
 *   DEK  encrypts each value, with token, field and subject as associated data.
 * Unwrapped keys live in the KeyCache; the provider is only called on a KEK or blind-index key miss.
 */
export type KeyPurpose = 'kek' | 'blind_index';

export interface SubjectKeyRow {
  subjectId: string;
  kekId: string | null;
  wrappedDek: Buffer | null;
  dekVersion: number;
  erasedAt: Date | null;
}

function dekAad(subjectId: string, kekId: string, version: number): Buffer {
  return Buffer.from(`dek\u001f${subjectId}\u001f${kekId}\u001f${version}`, 'utf8');
}

export class KeyRing {
  private readonly activeLookups = new Map<KeyPurpose, Promise<string>>();

  constructor(
    private readonly db: TokenizerDb,
    readonly provider: KeyProvider,
    private readonly cache: KeyCache,
  ) {}

  /** Calls the provider, turning every failure into "unavailable": there is no fallback path. */
  private async callProvider<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KeyProviderUnavailableError) {
        throw new KeysUnavailable({ cause: new Error(`key provider ${err.reason} during ${what}`) });
      }
      throw new KeysUnavailable({ cause: new Error(`key provider failed during ${what}: ${(err as Error).name}`) });
    }
  }

  /**
   * The active provider-wrapped key of a purpose, created on first use (one per purpose).
   * Concurrent first requests share one lookup, so a burst at start-up asks the provider
   * for one key, not one per request.
   */
  activeKeyId(purpose: KeyPurpose): Promise<string> {
    let pending = this.activeLookups.get(purpose);
    if (!pending) {
      pending = this.findOrCreateActiveKey(purpose).finally(() => this.activeLookups.delete(purpose));
      this.activeLookups.set(purpose, pending);
    }
    return pending;
  }

  private async findOrCreateActiveKey(purpose: KeyPurpose): Promise<string> {
    const existing = await this.db
      .select({ id: providerWrappedKeys.id })
      .from(providerWrappedKeys)
      .where(and(eq(providerWrappedKeys.purpose, purpose), eq(providerWrappedKeys.active, true)));
    if (existing[0]) return existing[0].id;
    const generated = await this.callProvider('key generation', () => this.provider.generateKey());
    const id = `${purpose}_${randomUUID()}`;
    const inserted = await this.db
      .insert(providerWrappedKeys)
      .values({
        id,
        purpose,
        providerKind: this.provider.kind,
        ciphertext: generated.ciphertext,
        keyVersion: generated.keyVersion,
      })
      .onConflictDoNothing()
      .returning({ id: providerWrappedKeys.id });
    if (inserted[0]) {
      this.cache.put(`pk:${id}`, generated.plaintext);
      return id;
    }
    // Another replica created it first; ours is discarded.
    generated.plaintext.fill(0);
    return this.findOrCreateActiveKey(purpose);
  }

  /** Runs `fn` with the plaintext of a provider-wrapped key (KEK or blind-index key). */
  withProviderKey<T>(id: string, fn: (key: Buffer) => T): Promise<T> {
    return this.cache.use(
      `pk:${id}`,
      async () => {
        const [row] = await this.db.select().from(providerWrappedKeys).where(eq(providerWrappedKeys.id, id));
        // A key the stored data refers to is gone: corrupt or tampered storage, not an outage.
        if (!row) throw new IntegrityFailed({ cause: new Error(`wrapped key ${id} is missing`) });
        return this.callProvider('unwrap', () =>
          this.provider.unwrapKey({ ciphertext: row.ciphertext, keyVersion: row.keyVersion }),
        );
      },
      fn,
    );
  }

  /** The subject's data key row; created (DEK generated and wrapped by the active KEK) when `create`. */
  async subjectKey(subjectId: string, create: boolean): Promise<SubjectKeyRow | undefined> {
    const [row] = await this.db.select().from(subjectKeys).where(eq(subjectKeys.subjectId, subjectId));
    if (row || !create) return row;
    // Read every time (one indexed row; concurrent reads share one query), so new subjects
    // move to a new KEK as soon as a rotation makes it active.
    const kekId = await this.activeKeyId('kek');
    const dek = randomBytes(32);
    let wrapped: Buffer;
    try {
      wrapped = await this.withProviderKey(kekId, (kek) => pack(seal(kek, dek, dekAad(subjectId, kekId, 1))));
    } finally {
      dek.fill(0);
    }
    const [created] = await this.db
      .insert(subjectKeys)
      .values({ subjectId, kekId, wrappedDek: wrapped, dekVersion: 1 })
      .onConflictDoNothing()
      .returning();
    if (created) return created;
    // Another request created it first: use theirs.
    const [existing] = await this.db.select().from(subjectKeys).where(eq(subjectKeys.subjectId, subjectId));
    return existing;
  }

  /** Runs `fn` with the subject's data key. An erased subject has no key: there is nothing to unwrap. */
  withSubjectKey<T>(row: SubjectKeyRow, fn: (dek: Buffer) => T): Promise<T> {
    const { subjectId, kekId, wrappedDek, dekVersion, erasedAt } = row;
    if (erasedAt || !kekId || !wrappedDek) return Promise.reject(new SubjectErased());
    return this.cache.use(
      `dek:${subjectId}`,
      () =>
        this.withProviderKey(kekId, (kek) => {
          try {
            return open(kek, unpack(wrappedDek), dekAad(subjectId, kekId, dekVersion));
          } catch (err) {
            if (err instanceof AuthenticationFailedError)
              throw new IntegrityFailed({ cause: new Error('a wrapped data key failed authentication') });
            throw err;
          }
        }),
      fn,
    );
  }

  /** Crypto-shredding: the subject's wrapped DEK is destroyed; its tokens can never be decrypted again. */
  /**
   * KEK rotation: creates a new KEK (provider `datakey`) and makes it the active one; the old
   * KEK stays readable until no subject key refers to it.
   */
  async createActiveKek(): Promise<string> {
    const generated = await this.callProvider('key generation', () => this.provider.generateKey());
    const id = `kek_${randomUUID()}`;
    await this.db.transaction(async (tx) => {
      await tx
        .update(providerWrappedKeys)
        .set({ active: false })
        .where(and(eq(providerWrappedKeys.purpose, 'kek'), eq(providerWrappedKeys.active, true)));
      await tx.insert(providerWrappedKeys).values({
        id,
        purpose: 'kek',
        providerKind: this.provider.kind,
        ciphertext: generated.ciphertext,
        keyVersion: generated.keyVersion,
      });
    });
    this.cache.put(`pk:${id}`, generated.plaintext);
    return id;
  }

  /**
   * Re-wraps one subject's data key from its KEK onto `newKekId` (the DEK itself, and so
   * every token, is unchanged). Compare-and-set on the old wrapped form: a concurrent erase
   * or rewrap wins. Returns whether this call changed the row.
   */
  async rewrapSubjectKey(row: SubjectKeyRow, newKekId: string): Promise<boolean> {
    const { subjectId, kekId, wrappedDek, dekVersion, erasedAt } = row;
    if (erasedAt || !kekId || !wrappedDek || kekId === newKekId) return false;
    const dek = await this.withProviderKey(kekId, (kek) =>
      open(kek, unpack(wrappedDek), dekAad(subjectId, kekId, dekVersion)),
    );
    let rewrapped: Buffer;
    try {
      rewrapped = await this.withProviderKey(newKekId, (kek) =>
        pack(seal(kek, dek, dekAad(subjectId, newKekId, dekVersion))),
      );
    } finally {
      dek.fill(0);
    }
    const updated = await this.db
      .update(subjectKeys)
      .set({ kekId: newKekId, wrappedDek: rewrapped })
      .where(and(eq(subjectKeys.subjectId, subjectId), eq(subjectKeys.wrappedDek, wrappedDek)))
      .returning({ subjectId: subjectKeys.subjectId });
    return updated.length === 1;
  }

  // A subject never seen before gets an erased tombstone, so no value can be stored for it later.
  async eraseSubject(subjectId: string): Promise<void> {
    const erased = { wrappedDek: null, kekId: null, erasedAt: new Date() };
    await this.db
      .insert(subjectKeys)
      .values({ subjectId, ...erased })
      .onConflictDoUpdate({ target: subjectKeys.subjectId, set: erased });
    this.cache.evict(`dek:${subjectId}`);
  }
}
