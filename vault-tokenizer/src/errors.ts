import { defineError, type PublicError } from '@shop/shared/errors';
import type { FastifyError } from 'fastify';

/**
 * Every error the tokenizer answers with, each code declared once and thrown where it
 * arises (routes, the token service, the key ring): no parallel internal error classes, no
 * code written out anywhere else. Codes are stable (clients and tests rely on them); messages
 * never carry a value, a token's content or an internal detail (that goes in `cause`).
 */

// Access (policy/policy.json; PCI DSS v4.0.1 7.2).
export const CallerUnknown = defineError('CALLER_UNKNOWN', 'The client certificate names no known caller', 403);
export const OperationDenied = defineError('OPERATION_DENIED', 'The policy denies this operation to the caller', 403);
export const FieldDenied = defineError('FIELD_DENIED', 'The policy denies this field type to the caller', 403);
export const RevealReasonRequired = defineError(
  'REVEAL_REASON_REQUIRED',
  'A reveal in clear needs both x-staff-identity and x-reveal-reason',
  400,
);
// Hourly bounds (pentest finding 8.9): audited and logged as an alert when reached.
export const EraseLimitReached = defineError(
  'ERASE_LIMIT_REACHED',
  'The hourly bound of subject erases for this caller is reached',
  429,
);
export const RevealLimitReached = defineError(
  'REVEAL_LIMIT_REACHED',
  'The hourly bound of reveals in clear is reached',
  429,
);

// Input.
export const BatchTooLarge = defineError('BATCH_TOO_LARGE', 'At most %s items per request', 413);
export const ValueTooLong = defineError('VALUE_TOO_LONG', 'Item %s: value is longer than %s characters', 413);
export const InvalidValue = defineError('INVALID_VALUE', 'Item %s: not a valid %s value', 400);
export const CardNumberRefused = defineError(
  'CARD_NUMBER_REFUSED',
  'Item %s: values that look like a card number are refused',
  400,
);
export const RouteNotFound = defineError('NOT_FOUND', 'Not found', 404);

// Tokens and subjects.
export const TokenNotFound = defineError('TOKEN_NOT_FOUND', 'Item %s: unknown token', 404);
export const TokenFieldMismatch = defineError(
  'TOKEN_FIELD_MISMATCH',
  'Item %s: token belongs to another field type',
  409,
);
export const TokenErased = defineError('TOKEN_ERASED', 'Item %s: the subject of this token was erased', 410);
export const TokenExpired = defineError('TOKEN_EXPIRED', 'Item %s: token expired', 410);
export const SubjectErased = defineError('SUBJECT_ERASED', 'The subject was erased and accepts no new values', 410);

// Dependencies: the key provider (Vault or the local key file) and the tokenizer's database.
/** The key provider did not answer (sealed, denied, unreachable): retrying later can succeed. */
export const KeysUnavailable = defineError(
  'TOKENIZER_KEYS_UNAVAILABLE',
  'The key provider is unavailable; no value can be encrypted or decrypted',
  503,
);
export const StorageUnavailable = defineError('TOKENIZER_STORAGE_UNAVAILABLE', 'The token store is unavailable', 503);
/**
 * Stored data failed authentication or is missing (a tampered or corrupt ciphertext, wrapped
 * data key or provider-wrapped key): not an outage, so never reported as one. Answers 500
 * `internal_error` and is logged.
 */
export const IntegrityFailed = defineError(
  'TOKENIZER_INTEGRITY_FAILED',
  'Stored ciphertext failed authentication',
  500,
);

const CATALOGUE = new Set(
  [
    CallerUnknown,
    OperationDenied,
    FieldDenied,
    RevealReasonRequired,
    EraseLimitReached,
    RevealLimitReached,
    BatchTooLarge,
    ValueTooLong,
    InvalidValue,
    CardNumberRefused,
    RouteNotFound,
    TokenNotFound,
    TokenFieldMismatch,
    TokenErased,
    TokenExpired,
    SubjectErased,
    KeysUnavailable,
    StorageUnavailable,
    IntegrityFailed,
  ].map((e) => new e().code),
);

/** True for an error of this catalogue (as opposed to a framework or library error). */
export function isTokenizerError(err: unknown): err is FastifyError {
  return err instanceof Error && CATALOGUE.has((err as FastifyError).code);
}

/**
 * The shared error model answers every 429 as `rate_limited`; the tokenizer's two bounds
 * keep their own codes, so a caller (and an operator reading the audit) can tell them apart.
 */
export function tokenizerPublicError(err: FastifyError): PublicError | undefined {
  if (err.statusCode === 429 && isTokenizerError(err)) {
    return { status: 429, code: err.code.toLowerCase(), message: err.message };
  }
  return undefined;
}
