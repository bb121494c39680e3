import { defineError } from '@shop/shared/errors';

/**
 * Every error the api answers with, in one place. Codes are stable: clients, the storefront
 * and tests rely on them (the error model lower-cases them: `INVALID_CREDENTIALS` ->
 * `invalid_credentials`). Messages are safe to send: no values, no internals.
 */
export const UnauthenticatedError = defineError('UNAUTHENTICATED', 'Sign in to continue', 401);
export const InvalidCredentialsError = defineError('INVALID_CREDENTIALS', 'Email or password is incorrect', 401);
// Signup cannot hide that an address is registered without email verification (which the
// public contract does not have); the strict per-IP signup limit bounds that probing.
export const EmailTakenError = defineError('EMAIL_TAKEN', 'An account with this email cannot be created', 409);
export const CsrfTokenInvalidError = defineError('CSRF_TOKEN_INVALID', 'Missing or invalid CSRF token', 403);
export const CrossOriginRefusedError = defineError('CROSS_ORIGIN_REFUSED', 'Cross-origin request refused', 403);
export const TooManyAttemptsError = defineError('RATE_LIMITED', 'Too many requests, retry later', 429);
export const RateLimitUnavailableError = defineError(
  'RATE_LIMIT_UNAVAILABLE',
  'Temporarily unavailable, retry later',
  503,
);
export const SessionStoreUnavailableError = defineError(
  'SESSION_STORE_UNAVAILABLE',
  'Temporarily unavailable, retry later',
  503,
);
export const DatabaseUnavailableError = defineError(
  'DATABASE_UNAVAILABLE',
  'Temporarily unavailable, retry later',
  503,
);
export const NotReadyError = defineError('NOT_READY', 'A dependency is unavailable', 503);
export const NotFoundError = defineError('NOT_FOUND', 'Not found', 404);

/** Public codes, for tests and documentation. */
export const ErrorCodes = {
  unauthenticated: 'unauthenticated',
  invalidCredentials: 'invalid_credentials',
  csrfTokenInvalid: 'csrf_token_invalid',
  crossOriginRefused: 'cross_origin_refused',
  rateLimited: 'rate_limited',
  rateLimitUnavailable: 'rate_limit_unavailable',
  sessionStoreUnavailable: 'session_store_unavailable',
  databaseUnavailable: 'database_unavailable',
  notReady: 'not_ready',
  notFound: 'not_found',
  validationFailed: 'validation_failed',
} as const;
