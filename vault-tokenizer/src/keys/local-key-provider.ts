import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type GeneratedKey,
  type KeyProvider,
  KeyProviderUnavailableError,
  type ProviderHealth,
  type WrappedKey,
  WrappedKeyRejectedError,
} from './key-provider.js';

/** Printed when this provider is chosen: a key next to the data it protects is not key management. */
export const LOCAL_KEY_PROVIDER_WARNING =
  'NOT FOR PRODUCTION: the tokenizer key-encryption key is a local file (local key provider). ' +
  'Anyone who can read that file and the tokenizer database can read all personal data. ' +
  'Set VAULT_ADDR (with VAULT_ROLE_ID and VAULT_SECRET_ID or VAULT_SECRET_ID_FILE) to use Vault transit.';

/** `.keys/` at the repository root: ignored by git, so the key is never committed. */
export const DEFAULT_LOCAL_KEK_FILE = fileURLToPath(
  new URL('../../../.keys/tokenizer-local-kek.json', import.meta.url),
);

const FILE_FORMAT = 'shop-tokenizer-local-kek/1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Same shape as Vault's `vault:v<N>:<base64>` so the envelope format does not depend on the provider.
const WRAPPED = /^local:v([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/;

interface KeyRing {
  latestVersion: number;
  minDecryptionVersion: number;
  keys: Map<number, Buffer>;
}

interface KeyFile {
  format: string;
  warning: string;
  latestVersion: number;
  minDecryptionVersion: number;
  keys: Record<string, { key: string; createdAt: string }>;
}

export interface LocalKeyProviderOptions {
  /** Where the key-encryption key lives; default `.keys/tokenizer-local-kek.json` at the repo root. */
  file?: string;
}

/**
 * The embedded default key provider: a versioned AES-256-GCM key-encryption key in a
 * local file (mode 0600, created on first use), mirroring Vault transit's behaviour
 * (versions, rotate, rewrap, min decryption version) so the tokenizer code and the
 * envelope format are the same with and without Vault. Not for production.
 *
 * The file is re-read whenever it changes on disk, so a rotation done by another process
 * (the rotation command) is seen by a running tokenizer without a restart.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly kind = 'local-file';
  readonly file: string;
  private cached: { stamp: string; ring: KeyRing } | undefined;

  constructor(options: LocalKeyProviderOptions = {}) {
    this.file = path.resolve(options.file ?? DEFAULT_LOCAL_KEK_FILE);
  }

  async generateKey(): Promise<GeneratedKey> {
    const ring = await this.ring();
    const plaintext = randomBytes(KEY_BYTES);
    return { plaintext, ...this.wrap(ring, plaintext) };
  }

  async unwrapKey(wrapped: WrappedKey): Promise<Buffer> {
    return this.unwrap(await this.ring(), wrapped);
  }

  async rewrapKey(wrapped: WrappedKey): Promise<WrappedKey> {
    const ring = await this.ring();
    const plaintext = this.unwrap(ring, wrapped);
    try {
      return this.wrap(ring, plaintext);
    } finally {
      plaintext.fill(0);
    }
  }

  async rotate(): Promise<number> {
    const ring = await this.update((ring) => {
      ring.latestVersion += 1;
      ring.keys.set(ring.latestVersion, randomBytes(KEY_BYTES));
    });
    return ring.latestVersion;
  }

  async setMinDecryptionVersion(version: number): Promise<void> {
    if (!Number.isInteger(version) || version < 1) {
      throw new RangeError(`min decryption version must be a positive integer, got ${version}`);
    }
    await this.update((ring) => {
      // Same rule as Vault transit: a version that does not exist yet cannot be the floor.
      if (version > ring.latestVersion) {
        throw new RangeError(
          `cannot set min decryption version of ${version}, latest key version is ${ring.latestVersion}`,
        );
      }
      ring.minDecryptionVersion = version;
    });
  }

  async health(): Promise<ProviderHealth> {
    try {
      await this.ring();
      return { status: 'ok' };
    } catch (err) {
      return { status: 'unavailable', reason: err instanceof Error ? err.message : 'local key file unreadable' };
    }
  }

  async close(): Promise<void> {
    if (this.cached) for (const key of this.cached.ring.keys.values()) key.fill(0);
    this.cached = undefined;
  }

  private wrap(ring: KeyRing, plaintext: Buffer): WrappedKey {
    const version = ring.latestVersion;
    const kek = ring.keys.get(version);
    if (!kek) throw new KeyProviderUnavailableError(`local key file has no key version ${version}`, 'unavailable');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    // The version label is authenticated too (defence in depth: another version's key would fail anyway).
    cipher.setAAD(Buffer.from(`local:v${version}`));
    const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: `local:v${version}:${body.toString('base64')}`, keyVersion: version };
  }

  private unwrap(ring: KeyRing, wrapped: WrappedKey): Buffer {
    const match = WRAPPED.exec(wrapped.ciphertext);
    if (!match) throw new WrappedKeyRejectedError('not a local key provider ciphertext', 'invalid_ciphertext');
    const version = Number(match[1]);
    if (version !== wrapped.keyVersion) {
      throw new WrappedKeyRejectedError('wrapped key version does not match its ciphertext', 'invalid_ciphertext');
    }
    if (version < ring.minDecryptionVersion) {
      throw new WrappedKeyRejectedError(
        'ciphertext version is disallowed by policy (below min decryption version)',
        'version_disallowed',
      );
    }
    const kek = ring.keys.get(version);
    if (!kek)
      throw new WrappedKeyRejectedError('ciphertext version is not in the local key ring', 'invalid_ciphertext');
    const body = Buffer.from(match[2] ?? '', 'base64');
    if (body.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) {
      throw new WrappedKeyRejectedError('wrapped key has the wrong length', 'invalid_ciphertext');
    }
    const decipher = createDecipheriv('aes-256-gcm', kek, body.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`local:v${version}`));
    decipher.setAuthTag(body.subarray(IV_BYTES + KEY_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, IV_BYTES + KEY_BYTES)), decipher.final()]);
    } catch {
      throw new WrappedKeyRejectedError('wrapped key failed authentication', 'invalid_ciphertext');
    }
  }

  /** The current key ring, re-read when the file changed (inode, size or mtime), created on first use. */
  private async ring(): Promise<KeyRing> {
    let stat: Awaited<ReturnType<typeof fs.stat>>;
    try {
      stat = await fs.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unavailable(this.file, err);
      await this.create();
      stat = await fs.stat(this.file);
    }
    // A key file others can read is as good as published: refuse it rather than use it (ASVS 6.4.1).
    if ((stat.mode & 0o077) !== 0) {
      throw new KeyProviderUnavailableError(
        `refusing ${this.file}: it is readable or writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`,
        'unavailable',
      );
    }
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (this.cached?.stamp === stamp) return this.cached.ring;
    const ring = await this.read();
    this.forget();
    this.cached = { stamp, ring };
    return ring;
  }

  private async read(): Promise<KeyRing> {
    let parsed: KeyFile;
    try {
      parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as KeyFile;
    } catch (err) {
      throw unavailable(this.file, err);
    }
    if (
      parsed?.format !== FILE_FORMAT ||
      !Number.isInteger(parsed.latestVersion) ||
      !Number.isInteger(parsed.minDecryptionVersion) ||
      typeof parsed.keys !== 'object' ||
      parsed.keys === null
    ) {
      throw new KeyProviderUnavailableError(`${this.file} is not a ${FILE_FORMAT} key file`, 'unavailable');
    }
    const keys = new Map<number, Buffer>();
    for (const [version, entry] of Object.entries(parsed.keys)) {
      const key = Buffer.from(entry.key, 'base64');
      if (key.length !== KEY_BYTES) {
        throw new KeyProviderUnavailableError(`${this.file}: key version ${version} is not 256 bits`, 'unavailable');
      }
      keys.set(Number(version), key);
    }
    if (!keys.has(parsed.latestVersion)) {
      throw new KeyProviderUnavailableError(`${this.file}: latest key version is missing`, 'unavailable');
    }
    return { latestVersion: parsed.latestVersion, minDecryptionVersion: parsed.minDecryptionVersion, keys };
  }

  /** First use: write the file whole under a temporary name, then link it in, so no process ever reads half a key. */
  private async create(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const ring: KeyRing = { latestVersion: 1, minDecryptionVersion: 1, keys: new Map([[1, randomBytes(KEY_BYTES)]]) };
    const temp = await this.writeTemp(ring);
    try {
      await fs.link(temp, this.file);
    } catch (err) {
      // Another process created it first: use theirs, so every process shares one key.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unavailable(this.file, err);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private async writeTemp(ring: KeyRing): Promise<string> {
    const temp = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const now = new Date().toISOString();
    const file: KeyFile = {
      format: FILE_FORMAT,
      warning: LOCAL_KEY_PROVIDER_WARNING,
      latestVersion: ring.latestVersion,
      minDecryptionVersion: ring.minDecryptionVersion,
      keys: Object.fromEntries(
        [...ring.keys].map(([v, key]) => [String(v), { key: key.toString('base64'), createdAt: now }]),
      ),
    };
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  /** Read-modify-write under an exclusive lock file, replaced atomically by rename. */
  private async update(change: (ring: KeyRing) => void): Promise<KeyRing> {
    await this.ring();
    const release = await this.lock();
    try {
      const ring = await this.read();
      change(ring);
      const temp = await this.writeTemp(ring);
      await fs.rename(temp, this.file);
      this.forget();
      return ring;
    } finally {
      await release();
    }
  }

  private async lock(): Promise<() => Promise<void>> {
    const lockFile = `${this.file}.lock`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const handle = await fs.open(lockFile, 'wx', 0o600);
        await handle.close();
        return () => fs.rm(lockFile, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unavailable(lockFile, err);
        // A lock left by a crashed process must not block rotation forever.
        const stat = await fs.stat(lockFile).catch(() => undefined);
        if (stat && Date.now() - stat.mtimeMs > 30_000) await fs.rm(lockFile, { force: true });
        if (Date.now() > deadline) {
          throw new KeyProviderUnavailableError(`timed out waiting for ${lockFile}`, 'unavailable');
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * Drops the cached ring without wiping it: a call already holding that ring may still be
   * wrapping with it, and a zeroed key would wrap under a key anyone knows. close() wipes.
   */
  private forget(): void {
    this.cached = undefined;
  }
}

function unavailable(file: string, err: unknown): KeyProviderUnavailableError {
  const code = (err as NodeJS.ErrnoException).code ?? (err instanceof SyntaxError ? 'invalid JSON' : 'error');
  return new KeyProviderUnavailableError(`local key file ${file} cannot be used (${code})`, 'unavailable');
}
