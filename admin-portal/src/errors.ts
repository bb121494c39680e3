import { defineError } from '@shop/shared/errors';

/**
 * Every error the admin portal answers with. Codes are stable (pages show them, tests and
 * runbooks rely on them); messages never carry personal data or an internal detail.
 */
export const StaffUnknown = defineError(
  'ADMIN_STAFF_UNKNOWN',
  'This certificate does not belong to an active staff member',
  403,
);
export const AccountInactive = defineError(
  'ADMIN_ACCOUNT_INACTIVE',
  'This account was disabled after 90 days without use; an admin can enable it again',
  403,
);
export const RouteUndeclared = defineError('ADMIN_ROUTE_UNDECLARED', 'Access denied', 403);
export const RoleRequired = defineError('ADMIN_ROLE_REQUIRED', 'Your roles do not allow this', 403);
export const SessionRequired = defineError('ADMIN_SESSION_REQUIRED', 'Log in with your second factor first', 401);
export const SessionExpired = defineError(
  'ADMIN_SESSION_EXPIRED',
  'Your session ended (15 minutes idle or the maximum length); log in again',
  401,
);
export const CsrfInvalid = defineError('ADMIN_CSRF_INVALID', 'The form is stale or was not sent by this portal', 403);
export const CodeInvalid = defineError('ADMIN_CODE_INVALID', 'The code is not valid', 401);
export const CodeReplayed = defineError(
  'ADMIN_CODE_REPLAYED',
  'This code was used already; wait for the next one',
  401,
);
export const Locked = defineError(
  'ADMIN_LOCKED',
  'Too many failed attempts: this account is locked for at least 30 minutes',
  423,
);
export const SecurityKeyInvalid = defineError(
  'ADMIN_SECURITY_KEY_INVALID',
  'The security key did not prove itself (unknown key, wrong site, or a cloned key)',
  401,
);
export const ChallengeExpired = defineError(
  'ADMIN_CHALLENGE_EXPIRED',
  'This security-key request expired or was used already; start again',
  401,
);
export const NotEnrolled = defineError('ADMIN_NOT_ENROLLED', 'Enrol a second factor first', 409);
export const AlreadyEnrolled = defineError('ADMIN_ALREADY_ENROLLED', 'A second factor is enrolled already', 409);
export const NotFound = defineError('ADMIN_NOT_FOUND', 'Not found', 404);
export const DatabaseUnavailable = defineError(
  'ADMIN_DATABASE_UNAVAILABLE',
  'The database is unavailable; nothing was changed',
  503,
);
export const SessionsUnavailable = defineError(
  'ADMIN_SESSIONS_UNAVAILABLE',
  'The session store is unavailable; nobody can log in until it is back',
  503,
);
export const AuditUnavailable = defineError(
  'ADMIN_AUDIT_UNAVAILABLE',
  'The audit trail cannot be written, so the action was not carried out',
  503,
);
export const ReasonRequired = defineError(
  'ADMIN_REASON_REQUIRED',
  'A reveal needs a written reason of 8 to 500 characters (letters of Western European languages, no line breaks)',
  400,
);
export const RevealRefused = defineError('ADMIN_REVEAL_REFUSED', 'The tokenizer refused to reveal this field', 403);
export const TokenizerUnavailable = defineError(
  'ADMIN_TOKENIZER_UNAVAILABLE',
  'The tokenizer is unavailable; nothing was revealed',
  503,
);
export const PaymentsUnavailable = defineError(
  'ADMIN_PAYMENTS_UNAVAILABLE',
  'Stripe did not confirm the refund; it is recorded as not done and can be retried safely',
  503,
);
export const OrderNotShippable = defineError(
  'ADMIN_ORDER_NOT_SHIPPABLE',
  'Only an order ready to ship can be marked shipped',
  409,
);
export const RefundInvalid = defineError(
  'ADMIN_REFUND_INVALID',
  'The amount must be positive and at most what is left to refund',
  400,
);
export const RefundRefused = defineError(
  'ADMIN_REFUND_REFUSED',
  'Stripe refused the refund; nothing was refunded',
  409,
);
export const RefundNotRetryable = defineError(
  'ADMIN_REFUND_NOT_RETRYABLE',
  'Only a refund that Stripe has not confirmed yet can be retried',
  409,
);
export const SelfApproval = defineError(
  'ADMIN_SELF_APPROVAL',
  'A request cannot be approved by the person who made it',
  403,
);
export const ApprovalExpired = defineError('ADMIN_APPROVAL_EXPIRED', 'This request expired; ask again', 409);
export const ApprovalDecided = defineError(
  'ADMIN_APPROVAL_DECIDED',
  'This request was decided already and cannot change',
  409,
);
export const RoleGrantInvalid = defineError(
  'ADMIN_ROLE_GRANT_INVALID',
  'Unknown staff member, or the role is held already',
  409,
);
