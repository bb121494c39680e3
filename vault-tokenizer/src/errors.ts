import { defineError } from '@shop/shared/errors';

/**
 * Every error the tokenizer answers with. Codes are stable (clients and tests rely on
 * them); messages never carry a value, a token's content or an internal detail.
 */
export const CallerUnknown = defineError('CALLER_UNKNOWN', 'The client certificate names no known caller', 403);
export const OperationDenied = defineError('OPERATION_DENIED', 'The policy denies this operation to the caller', 403);
export const FieldDenied = defineError('FIELD_DENIED', 'The policy denies this field type to the caller', 403);
export const RevealReasonRequired = defineError(
  'REVEAL_REASON_REQUIRED',
  'A reveal in clear needs both x-staff-identity and x-reveal-reason',
  400,
);
export const BatchTooLarge = defineError('BATCH_TOO_LARGE', 'At most %s items per request', 413);
export const ValueTooLong = defineError('VALUE_TOO_LONG', 'Item %s: value is longer than %s characters', 413);
export const InvalidValue = defineError('INVALID_VALUE', 'Item %s: not a valid %s value', 400);
export const CardNumberRefused = defineError(
  'CARD_NUMBER_REFUSED',
  'Item %s: values that look like a card number are refused',
  400,
);
export const TokenNotFound = defineError('TOKEN_NOT_FOUND', 'Item %s: unknown token', 404);
export const TokenFieldMismatch = defineError(
  'TOKEN_FIELD_MISMATCH',
  'Item %s: token belongs to another field type',
  409,
);
export const TokenErased = defineError('TOKEN_ERASED', 'Item %s: the subject of this token was erased', 410);
export const TokenExpired = defineError('TOKEN_EXPIRED', 'Item %s: token expired', 410);
export const SubjectErased = defineError('SUBJECT_ERASED', 'The subject was erased and accepts no new values', 410);
export const SubjectNotFound = defineError('SUBJECT_NOT_FOUND', 'Unknown subject', 404);
export const KeysUnavailable = defineError(
  'TOKENIZER_KEYS_UNAVAILABLE',
  'The key provider is unavailable; no value can be encrypted or decrypted',
  503,
);
export const StorageUnavailable = defineError('TOKENIZER_STORAGE_UNAVAILABLE', 'The token store is unavailable', 503);
export const IntegrityFailed = defineError(
  'TOKENIZER_INTEGRITY_FAILED',
  'Stored ciphertext failed authentication',
  500,
);
