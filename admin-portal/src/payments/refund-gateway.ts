import Stripe from 'stripe';

/** Refunds through Stripe with the portal's own key (never the api's code or key). */
export interface RefundGateway {
  refund(input: { paymentIntentId: string; amountMinor: number; idempotencyKey: string }): Promise<RefundResult>;
}

export type RefundResult =
  | { outcome: 'succeeded' | 'pending'; refundId: string }
  /** Stripe answered and refused: nothing was refunded. */
  | { outcome: 'refused'; code: string }
  /** No answer: the refund may or may not exist; retrying with the same key is safe. */
  | { outcome: 'unknown' };

export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

export interface StripeRefundOptions {
  secretKey: string;
  host?: string | undefined;
  port?: number | undefined;
  protocol?: 'http' | 'https' | undefined;
  /** How long one call waits for Stripe's answer (default 10 s); a timeout is an unknown outcome. */
  timeoutMs?: number | undefined;
}

export class StripeRefundGateway implements RefundGateway {
  private readonly stripe: Stripe;

  constructor(opts: StripeRefundOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      apiVersion: STRIPE_API_VERSION,
      maxNetworkRetries: 1,
      timeout: opts.timeoutMs ?? 10_000,
      telemetry: false,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.port ? { port: opts.port } : {}),
      ...(opts.protocol ? { protocol: opts.protocol } : {}),
    });
  }

  async refund(input: { paymentIntentId: string; amountMinor: number; idempotencyKey: string }): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: input.paymentIntentId, amount: input.amountMinor },
        { idempotencyKey: input.idempotencyKey },
      );
      if (refund.status === 'succeeded') return { outcome: 'succeeded', refundId: refund.id };
      if (refund.status === 'pending' || refund.status === 'requires_action')
        return { outcome: 'pending', refundId: refund.id };
      return { outcome: 'refused', code: `refund_${refund.status ?? 'unknown'}` };
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
        return { outcome: 'refused', code: String(err.code ?? err.type ?? 'invalid_request').slice(0, 60) };
      }
      return { outcome: 'unknown' };
    }
  }
}
