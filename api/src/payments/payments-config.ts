import Type, { type Static } from 'typebox';

/**
 * Stripe variables of the api (merged into the api's config schema). No key has a default:
 * without keys checkout answers 503 `payments_not_configured` rather than pretending to work.
 */
export const PaymentsConfigSchema = Type.Object({
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9_]+$' })),
  STRIPE_PUBLISHABLE_KEY: Type.Optional(Type.String({ pattern: '^pk_(test|live)_[A-Za-z0-9_]+$' })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9_]+$' })),
  // Rotation: while Stripe signs with both the old and the new endpoint secret, both verify.
  STRIPE_WEBHOOK_SECRET_PREVIOUS: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9_]+$' })),
  // Point the Stripe client at another server (test doubles, local mocks). Unset: api.stripe.com.
  STRIPE_API_HOST: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' })),
  STRIPE_API_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  STRIPE_API_PROTOCOL: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
  // The egress proxy (egress-proxy/, control C-052): the api's networks have no route out, so
  // every Stripe call is a CONNECT through it, TLS end to end to Stripe inside the tunnel. The
  // hop to the proxy is plain HTTP on the internal egress network: it carries only the CONNECT
  // line (Stripe's host and port). No credentials and no path: the proxy takes none.
  // Unset: the client connects directly (development, tests).
  STRIPE_PROXY_URL: Type.Optional(Type.String({ pattern: '^http://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?/?$' })),
});

export type PaymentsConfig = Static<typeof PaymentsConfigSchema>;
