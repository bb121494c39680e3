import { createHmac, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type pg from 'pg';
import { AuthenticationFailedError, IV_BYTES, open, seal } from '../crypto/aead.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { TokenizerDb } from '../db/database.js';
import { tokens } from '../db/schema.js';
import { IntegrityFailed, TokenErased, TokenExpired, TokenFieldMismatch, TokenNotFound } from '../errors.js';
import { type FieldType, maskValue, normaliseForIndex } from '../fields/field-types.js';
import { TokenLookup } from './token-lookup.js';

/**
 * Tokens are 24 random bytes (base64url) behind a `tok_` prefix: unguessable, and never
 * derived from the value or its hash, so a token says nothing about what it stands for.
 */
export const TOKEN_PATTERN = '^tok_[A-Za-z0-9_-]{32}$';

const TOKEN_BYTES = 24;

export function newToken(): string {
  return `tok_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

function valueAad(token: string, field: string, subjectId: string, keyVersion: number): Buffer {
  return Buffer.from(`v1\u001f${token}\u001f${field}\u001f${subjectId}\u001f${keyVersion}`, 'utf8');
}

export class TokenService {
  private blindIndexKeyId: string | undefined;
  private readonly lookup: TokenLookup;

  constructor(
    private readonly db: TokenizerDb,
    private readonly pool: pg.Pool,
    private readonly keys: KeyRing,
  ) {
    this.lookup = new TokenLookup(pool);
  }

  /** Encrypts each value under the subject's data key and stores it; returns tokens in order. */
  async tokenize(
    subjectId: string,
    items: { field: FieldType; value: string }[],
    expiresAt: Date | undefined,
  ): Promise<string[]> {
    const subject = await this.keys.subjectKey(subjectId, true);
    if (!subject) throw new Error('subject key could not be created');
    // One draw of fresh random bytes for the whole batch (24 per token, 12 per IV): the same
    // CSPRNG output as per-value calls, without a thousand separate calls.
    const random = randomBytes(items.length * (TOKEN_BYTES + IV_BYTES));
    const rows = await this.keys.withSubjectKey(subject, (dek) =>
      items.map(({ field, value }, i) => {
        const at = i * (TOKEN_BYTES + IV_BYTES);
        const token = `tok_${random.subarray(at, at + TOKEN_BYTES).toString('base64url')}`;
        const iv = random.subarray(at + TOKEN_BYTES, at + TOKEN_BYTES + IV_BYTES);
        const sealed = seal(
          dek,
          Buffer.from(value.normalize('NFC'), 'utf8'),
          valueAad(token, field, subjectId, subject.dekVersion),
          iv,
        );
        return {
          token,
          subjectId,
          fieldType: field,
          ciphertext: sealed.ciphertext,
          iv: sealed.iv,
          keyVersion: subject.dekVersion,
          expiresAt: expiresAt ?? null,
        };
      }),
    );
    // One statement with seven array parameters whatever the batch size (1000 rows through an
    // ORM builder would be 7000 bound parameters and most of the request's CPU).
    await this.pool.query(
      `INSERT INTO tokens (token, subject_id, field_type, ciphertext, iv, key_version, expires_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::int[], $7::timestamptz[])`,
      [
        rows.map((r) => r.token),
        rows.map((r) => r.subjectId),
        rows.map((r) => r.fieldType),
        rows.map((r) => r.ciphertext),
        rows.map((r) => r.iv),
        rows.map((r) => r.keyVersion),
        rows.map((r) => r.expiresAt),
      ],
    );
    return rows.map((r) => r.token);
  }

  /**
   * Decrypts tokens; each must exist, be of the field type the caller names, and belong to
   * a subject that was not erased. `masked[i]` asks for the masked form of item i.
   */
  async detokenize(items: { token: string; field: FieldType }[], masked: boolean[]): Promise<string[]> {
    const byToken = await this.lookup.find(items.map((i) => i.token));
    const now = Date.now();
    // Check every item before decrypting any, so a refusal releases nothing.
    items.forEach((item, index) => {
      const row = byToken.get(item.token);
      if (!row) throw new TokenNotFound(index);
      if (row.fieldType !== item.field) throw new TokenFieldMismatch(index);
      if (row.erasedAt) throw new TokenErased(index);
      if (row.expiresAt && row.expiresAt.getTime() <= now) throw new TokenExpired(index);
    });
    const out: string[] = new Array(items.length);
    const bySubject = new Map<string, number[]>();
    items.forEach((item, index) => {
      const subjectId = byToken.get(item.token)?.subjectId ?? '';
      bySubject.set(subjectId, [...(bySubject.get(subjectId) ?? []), index]);
    });
    for (const indexes of bySubject.values()) {
      const first = byToken.get(items[indexes[0] ?? 0]?.token ?? '');
      if (!first) continue;
      await this.keys.withSubjectKey(first, (dek) => {
        for (const index of indexes) {
          const item = items[index];
          const row = item && byToken.get(item.token);
          if (!item || !row) continue;
          let plain: Buffer;
          try {
            plain = open(
              dek,
              { iv: row.iv, ciphertext: row.ciphertext },
              valueAad(row.token, row.fieldType, row.subjectId, row.keyVersion),
            );
          } catch (err) {
            if (err instanceof AuthenticationFailedError) {
              throw new IntegrityFailed({ cause: new Error(`item ${index}: ciphertext failed authentication`) });
            }
            throw err;
          }
          const value = plain.toString('utf8');
          plain.fill(0);
          out[index] = masked[index] ? maskValue(item.field, value) : value;
        }
      });
    }
    return out;
  }

  /** Field type of a stored token, for the policy check before deleting it. */
  async fieldOf(token: string): Promise<string | undefined> {
    const [row] = await this.db.select({ fieldType: tokens.fieldType }).from(tokens).where(eq(tokens.token, token));
    return row?.fieldType;
  }

  async deleteToken(token: string): Promise<boolean> {
    const deleted = await this.db.delete(tokens).where(eq(tokens.token, token)).returning({ token: tokens.token });
    return deleted.length > 0;
  }

  eraseSubject(subjectId: string): Promise<void> {
    return this.keys.eraseSubject(subjectId);
  }

  /** Keyed HMAC-SHA256 of the normalised value; the field type is bound in, so indexes never collide across types. */
  async blindIndex(field: FieldType, value: string): Promise<string> {
    // The blind-index key is never replaced (every stored index would change), so its id is kept.
    this.blindIndexKeyId ??= await this.keys.activeKeyId('blind_index');
    const keyId = this.blindIndexKeyId;
    const normalised = normaliseForIndex(field, value);
    return this.keys.withProviderKey(keyId, (key) =>
      createHmac('sha256', key).update(`${field}\u001f${normalised}`, 'utf8').digest('base64url'),
    );
  }
}
