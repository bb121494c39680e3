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
});

export type PaymentsConfig = Static<typeof PaymentsConfigSchema>;
