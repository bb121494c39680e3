import { defineError } from '@shop/shared/errors';

/**
 * Every error the api and the order-worker answer with, in one place (one catalogue per
 * service; test/errors.test.ts holds it to that: each code declared once, each thrown, none
 * spelled out elsewhere). Codes are stable: clients, the storefront and tests rely on them
 * (the error model lower-cases them: `INVALID_CREDENTIALS` -> `invalid_credentials`).
 * Messages are safe to send: no values, no internals.
 */

// --- Sessions, sign-in, CSRF ---
export const UnauthenticatedError = defineError('UNAUTHENTICATED', 'Sign in to continue', 401);
export const InvalidCredentialsError = defineError('INVALID_CREDENTIALS', 'Email or password is incorrect', 401);
// Signup still tells that an address is registered (it signs the shopper in at once, so it
// cannot answer alike and mail the owner instead); the strict per-IP signup limit bounds that.
export const EmailTakenError = defineError('EMAIL_TAKEN', 'An account with this email cannot be created', 409);
export const CsrfTokenInvalidError = defineError('CSRF_TOKEN_INVALID', 'Missing or invalid CSRF token', 403);
export const CrossOriginRefusedError = defineError('CROSS_ORIGIN_REFUSED', 'Cross-origin request refused', 403);
// Thrown by the sign-in lockout and built by every rate-limit bucket (plugins/rate-limit.ts).
export const TooManyAttemptsError = defineError('RATE_LIMITED', 'Too many requests, retry later', 429);

// --- Account lifecycle: email verification, password reset, re-authentication ---
// Checkout ships to and mails a real shopper: the address must have been proven first.
export const EmailNotVerifiedError = defineError(
  'EMAIL_NOT_VERIFIED',
  'Verify your email address before checking out',
  403,
);
export const EmailAlreadyVerifiedError = defineError('EMAIL_ALREADY_VERIFIED', 'This email is already verified', 409);
// One-time tokens (ASVS 2.5.x): unknown, forged or truncated; expired; already used. The three
// answers tell the owner of a real link what happened and a guesser nothing it could use:
// "expired" and "used" are reached only with a token that was once issued.
export const AccountTokenInvalidError = defineError('ACCOUNT_TOKEN_INVALID', 'This link is not valid', 400);
export const AccountTokenExpiredError = defineError(
  'ACCOUNT_TOKEN_EXPIRED',
  'This link has expired, ask for a new one',
  410,
);
export const AccountTokenUsedError = defineError(
  'ACCOUNT_TOKEN_USED',
  'This link has already been used, ask for a new one',
  410,
);
// Export and deletion ask for the password again (ASVS 3.7.1): 403, not 401, because the
// session itself is valid.
export const ReauthenticationFailedError = defineError('REAUTHENTICATION_FAILED', 'The password is incorrect', 403);

// --- Dependencies down: a stable 503 each, never a generic 500 ---
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
export const TokenizerUnavailableError = defineError(
  'TOKENIZER_UNAVAILABLE',
  'Temporarily unavailable, retry later',
  503,
);
// What the tokenizer refuses as invalid (a control character in a name): the shopper can correct it.
export const PiiValueRejectedError = defineError(
  'PII_VALUE_REJECTED',
  'A personal-data value was refused as invalid',
  400,
);
export const NotReadyError = defineError('NOT_READY', 'A dependency is unavailable', 503);

// --- Requests the HTTP layer refuses (framework-errors.ts, plugins/not-found.ts) ---
export const NotFoundError = defineError('NOT_FOUND', 'Not found', 404);
export const RequestTimeoutError = defineError('REQUEST_TIMEOUT', 'The request took too long', 408);
export const HeadersTooLargeError = defineError('HEADERS_TOO_LARGE', 'Request headers are too large', 431);
export const MalformedRequestError = defineError('MALFORMED_REQUEST', 'Malformed HTTP request', 400);

// --- Catalogue ---
// Same answer for "never existed" and "removed": the id alone tells a client nothing more.
export const ProductNotFoundError = defineError('PRODUCT_NOT_FOUND', 'Product not found', 404);
// A cursor is opaque: one that was not made by this route, or for another kind of listing
// (a search cursor without q), is refused rather than guessed at.
export const ProductCursorInvalidError = defineError('PRODUCT_CURSOR_INVALID', 'The after cursor is not valid', 400);
// `after` and `offset` are two ways to say where a page starts: one at a time.
export const ProductPagingConflictError = defineError('PRODUCT_PAGING_CONFLICT', 'Use after or offset, not both', 400);

// --- Cart and orders ---
// A cart is priced and later charged in one currency: mixing would make the total
// meaningless. Refused when an item is added, and again at checkout should a cart hold
// two currencies all the same (a product repriced in another currency after it was added).
export const CartCurrencyMismatchError = defineError(
  'CART_CURRENCY_MISMATCH',
  'A cart holds items in one currency only',
  409,
);
export const InsufficientStockError = defineError(
  'INSUFFICIENT_STOCK',
  'Not enough stock for the requested quantity',
  409,
);
export const CartEmptyError = defineError('CART_EMPTY', 'The cart is empty', 409);
// 404, not 403, for another shopper's order: a 403 would confirm that the id exists.
export const OrderNotFoundError = defineError('ORDER_NOT_FOUND', 'Order not found', 404);

// --- Checkout, webhooks, refunds ---
export const CardDataRefusedError = defineError(
  'CARD_DATA_REFUSED',
  'Card details must be entered in the payment form, never sent to this server',
  400,
);
export const CheckoutInProgressError = defineError(
  'CHECKOUT_IN_PROGRESS',
  'The order is being paid or changed, retry shortly',
  409,
);
export const PaymentsNotConfiguredError = defineError('PAYMENTS_NOT_CONFIGURED', 'Payments are not configured', 503);
export const PaymentsUnavailableError = defineError(
  'PAYMENTS_UNAVAILABLE',
  'The payment provider is unavailable, retry later',
  503,
);
// What Stripe answered, told apart so an operator reading a code knows what to fix (finding
// 8.7): a throttled account, refused credentials and a request Stripe rejected are not "down".
export const PaymentsRateLimitedError = defineError(
  'PAYMENTS_RATE_LIMITED',
  'The payment provider is throttling requests, retry later',
  503,
);
export const PaymentsCredentialsRefusedError = defineError(
  'PAYMENTS_CREDENTIALS_REFUSED',
  'The payment provider refused the credentials of this shop',
  503,
);
export const PaymentsRequestRefusedError = defineError(
  'PAYMENTS_REQUEST_REFUSED',
  'The payment provider refused the request',
  502,
);
export const PaymentsAnswerInvalidError = defineError(
  'PAYMENTS_ANSWER_INVALID',
  'The payment provider answered with unexpected data',
  502,
);
export const PaymentAmountOutOfRangeError = defineError(
  'PAYMENT_AMOUNT_OUT_OF_RANGE',
  'The order total is outside the range the payment provider accepts',
  409,
);
export const PaymentDeclinedError = defineError('PAYMENT_DECLINED', 'The payment was declined', 402);
export const WebhookSignatureInvalidError = defineError(
  'WEBHOOK_SIGNATURE_INVALID',
  'Webhook signature verification failed',
  400,
);
export const WebhookNotConfiguredError = defineError(
  'WEBHOOK_NOT_CONFIGURED',
  'Webhook signing secret is not configured',
  503,
);
export const WebhookPayloadInvalidError = defineError('WEBHOOK_PAYLOAD_INVALID', 'Webhook payload is invalid', 400);
export const RefundInvalidError = defineError('REFUND_INVALID', 'This refund is not possible for the order', 409);

/** The public code of a declared error, as the error model sends it (for log lines). */
export function publicCode(err: { code: string }): string {
  return err.code.toLowerCase();
}
