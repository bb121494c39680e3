import { HttpsProxyAgent } from 'https-proxy-agent';
import Stripe from 'stripe';
import type { PaymentsConfig } from './payments-config.js';

/**
 * Pinned so a Stripe-side default change cannot alter payloads under us; upgrading is a
 * deliberate change with its tests (the version the installed library is typed against).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/** The Stripe client, or null when no secret key is configured (payments off, checkout 503). */
export function createStripeClient(config: PaymentsConfig): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    apiVersion: STRIPE_API_VERSION,
    // Stripe retries idempotent requests itself with the same Idempotency-Key.
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    ...(config.STRIPE_API_HOST ? { host: config.STRIPE_API_HOST } : {}),
    ...(config.STRIPE_API_PORT ? { port: config.STRIPE_API_PORT } : {}),
    ...(config.STRIPE_API_PROTOCOL ? { protocol: config.STRIPE_API_PROTOCOL } : {}),
    // Through the egress proxy: one CONNECT per request to STRIPE_API_HOST:PORT (api.stripe.com:443),
    // then TLS to Stripe over the tunnel, the certificate checked against Stripe's name as without
    // a proxy. No keep-alive: a tunnel lives for one call, so none sits idle to be cut by the
    // proxy's idle timeout under a request (payment calls are few; the handshake is cheap next
    // to Stripe's own latency).
    ...(config.STRIPE_PROXY_URL ? { httpAgent: new HttpsProxyAgent(config.STRIPE_PROXY_URL) } : {}),
  });
}

/** The signing secrets accepted at once: the current one first, the previous one during rotation. */
export function webhookSecrets(config: PaymentsConfig): string[] {
  return [config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_SECRET_PREVIOUS].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}
