import { defineError } from '@shop/shared/errors';

/**
 * Errors of checkout, webhooks and refunds. The error model lower-cases the codes
 * (`PAYMENTS_NOT_CONFIGURED` -> `payments_not_configured`); messages carry no values.
 */
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
export const TokenizerUnavailableError = defineError(
  'TOKENIZER_UNAVAILABLE',
  'Temporarily unavailable, retry later',
  503,
);
export const CardDataRefusedError = defineError(
  'CARD_DATA_REFUSED',
  'Card details must be entered in the payment form, never sent to this server',
  400,
);
export const CartEmptyError = defineError('CART_EMPTY', 'The cart is empty', 409);
export const MixedCurrencyError = defineError('MIXED_CURRENCY', 'The cart holds items in several currencies', 409);
export const OutOfStockError = defineError('OUT_OF_STOCK', 'An item in the cart is out of stock', 409);
export const CheckoutInProgressError = defineError(
  'CHECKOUT_IN_PROGRESS',
  'The order is being paid or changed, retry shortly',
  409,
);
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
