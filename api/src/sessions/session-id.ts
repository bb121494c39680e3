import { createHash, randomBytes } from 'node:crypto';

/** 256 bits from the CSPRNG (ASVS 3.2.2: at least 64 bits of entropy). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** Only the hash is stored server-side, so reading the store does not yield usable cookies. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** Refuses anything that is not the shape we issue before touching the store. */
export function isWellFormedSessionId(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
