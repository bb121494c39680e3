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
