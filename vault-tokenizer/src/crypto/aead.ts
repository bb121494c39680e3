import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with associated data. The associated data binds a ciphertext to where it
 * belongs (token, field type, subject; or the subject a data key wraps), so a ciphertext
 * copied onto another row fails authentication instead of decrypting.
 */
export const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

export class AuthenticationFailedError extends Error {
  override name = 'AuthenticationFailedError';
}

/** `iv` may be supplied from a batch draw of random bytes; it must be fresh random bytes, never reused. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer, iv: Buffer = randomBytes(IV_BYTES)): Sealed {
  if (iv.length !== IV_BYTES) throw new Error('AES-GCM needs a 12-byte IV');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, ciphertext };
}

export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  if (sealed.iv.length !== IV_BYTES || sealed.ciphertext.length < TAG_BYTES) {
    throw new AuthenticationFailedError('malformed ciphertext');
  }
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new AuthenticationFailedError('ciphertext failed authentication');
  }
}

/** Packs iv + ciphertext for a wrapped data key stored in one column. */
export function pack(sealed: Sealed): Buffer {
  return Buffer.concat([sealed.iv, sealed.ciphertext]);
}

export function unpack(packed: Buffer): Sealed {
  return { iv: packed.subarray(0, IV_BYTES), ciphertext: packed.subarray(IV_BYTES) };
}
