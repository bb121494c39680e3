import {
  CheckoutInProgressError,
  PaymentAmountOutOfRangeError,
  PaymentDeclinedError,
  PaymentsCredentialsRefusedError,
  PaymentsRateLimitedError,
  PaymentsRequestRefusedError,
  PaymentsUnavailableError,
} from '../errors.js';

/** What the api keeps of a Stripe error: its class and code, never its message (it may echo input). */
export interface StripeErrorSummary {
  type: string;
  code: string | null;
}

const SAFE = /^[A-Za-z_]{1,64}$/;

export function summariseStripeError(err: unknown): StripeErrorSummary {
  const { type, code } = (err ?? {}) as { type?: unknown; code?: unknown };
  return {
    type: typeof type === 'string' && SAFE.test(type) ? type : 'unknown',
    code: typeof code === 'string' && SAFE.test(code) ? code : null,
  };
}

/** Stripe's code for "this PaymentIntent cannot do that in its current status". */
export function isUnexpectedIntentState(err: unknown): boolean {
  const { type, code } = summariseStripeError(err);
  return type === 'StripeInvalidRequestError' && code === 'payment_intent_unexpected_state';
}

export function isResourceMissing(err: unknown): boolean {
  const { type, code } = summariseStripeError(err);
  return type === 'StripeInvalidRequestError' && code === 'resource_missing';
}

/**
 * Maps an error of the Stripe client to the api's error that says what happened (finding 8.7):
 * a throttled account, refused credentials, a request Stripe rejected, an amount outside
 * Stripe's range and a declined card each have their code; only an unreachable or failing
 * Stripe is `payments_unavailable`. Unknown errors are treated as unavailability (retryable).
 */
export function paymentsErrorFrom(err: unknown): Error {
  const { type, code } = summariseStripeError(err);
  switch (type) {
    case 'StripeIdempotencyError':
      // The same order changed under a concurrent checkout: the shopper retries.
      return new CheckoutInProgressError();
    case 'StripeInvalidRequestError':
      if (code === 'amount_too_small' || code === 'amount_too_large') return new PaymentAmountOutOfRangeError();
      if (code === 'payment_intent_unexpected_state') return new CheckoutInProgressError();
      return new PaymentsRequestRefusedError();
    case 'StripeCardError':
      return new PaymentDeclinedError();
    case 'StripeRateLimitError':
      return new PaymentsRateLimitedError();
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new PaymentsCredentialsRefusedError();
    default:
      return new PaymentsUnavailableError();
  }
}
