import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Everything the api reads from Stripe, as schemas checked at the boundary (OWASP API10:2023
 * unsafe consumption of APIs; finding 8.7). A value outside them (a 16-character `last4`, a
 * fractional amount, an unknown status) never reaches a column, a log line or a decision: the
 * caller records the anomaly for staff instead. Unknown extra fields are allowed (Stripe adds
 * fields within a pinned version); only the fields below are read.
 */

const StripeId = (prefix: string) => Type.String({ pattern: `^${prefix}_[A-Za-z0-9_]{1,250}$` });
/** Stripe amounts are integers in minor units, at most eight digits. */
const Amount = Type.Integer({ minimum: 0, maximum: 99_999_999 });
/** ISO 4217, lower case as Stripe writes it. */
const Currency = Type.String({ pattern: '^[a-z]{3}$' });

export const INTENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** Statuses in which Stripe still accepts a change of amount: the order may still change. */
export const UPDATABLE_STATUSES: ReadonlySet<IntentStatus> = new Set([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
]);
/** Money is moving or moved: the order is frozen (finding 8.1). */
export const LOCKED_STATUSES: ReadonlySet<IntentStatus> = new Set(['processing', 'requires_capture', 'succeeded']);

export const CardDetails = Type.Object({
  // Bounded rather than enumerated: Stripe adds brands; a brand is shown, never decided on.
  brand: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
  last4: Type.String({ pattern: '^[0-9]{4}$' }),
});

export const Charge = Type.Object({
  id: StripeId('(ch|py)'),
  payment_method_details: Type.Union([Type.Null(), Type.Object({ card: Type.Optional(Type.Unknown()) })]),
});

const IntentFields = Type.Object({
  id: StripeId('pi'),
  object: Type.Literal('payment_intent'),
  status: Type.Union(INTENT_STATUSES.map((s) => Type.Literal(s))),
  amount: Amount,
  amount_received: Amount,
  currency: Currency,
  client_secret: Type.Optional(
    Type.Union([Type.Null(), Type.String({ pattern: '^pi_[A-Za-z0-9_]+_secret_[A-Za-z0-9]+$', maxLength: 500 })]),
  ),
  metadata: Type.Object({ order_id: Type.Optional(Type.String({ maxLength: 500 })) }),
  // Checked below as a charge when expanded: a union would hide which field was wrong.
  latest_charge: Type.Optional(Type.Unknown()),
});

export type StripeCard = Static<typeof CardDetails>;
export type StripePaymentIntent = Omit<Static<typeof IntentFields>, 'latest_charge'> & {
  latest_charge?: string | null | { id: string; payment_method_details: { card?: StripeCard | null } | null };
};

/** The fields of `charge.refunded` and `charge.dispute.created` objects the handlers read. */
export const RefundedCharge = Type.Object({
  payment_intent: StripeId('pi'),
  amount_refunded: Amount,
});
export const Dispute = Type.Object({ payment_intent: StripeId('pi') });
export const Refund = Type.Object({
  id: StripeId('(re|pyr)'),
  amount: Amount,
  status: Type.Union([Type.Null(), Type.String({ pattern: '^[a-z_]{1,32}$' })]),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string };

function checker<S extends TSchema>(schema: S) {
  const validator = Compile(schema);
  return (value: unknown): Checked<Static<S>> => {
    if (validator.Check(value)) return { ok: true, value: value as Static<S> };
    // The path names our schema's fields only (extra keys are never validated), and is
    // bounded: no value Stripe sent is carried out of here.
    const first = validator.Errors(value)[0];
    const path = (first?.instancePath ?? '').replace(/[^A-Za-z0-9_/]/g, '').slice(0, 120);
    return { ok: false, field: path || '/' };
  };
}

const checkIntentFields = checker(IntentFields);
const checkCharge = checker(Charge);
const checkCard = checker(CardDetails);
const checkChargeId = checker(Type.Union([Type.Null(), StripeId('(ch|py)')]));

function within(prefix: string, result: Checked<unknown>): { ok: false; field: string } | null {
  return result.ok ? null : { ok: false, field: `${prefix}${result.field === '/' ? '' : result.field}` };
}

/** A PaymentIntent, its expanded latest charge and that charge's card included. */
export function checkPaymentIntent(value: unknown): Checked<StripePaymentIntent> {
  const fields = checkIntentFields(value);
  if (!fields.ok) return fields;
  const charge = fields.value.latest_charge;
  if (charge !== undefined && (charge === null || typeof charge !== 'object')) {
    const bad = within('/latest_charge', checkChargeId(charge));
    if (bad) return bad;
  } else if (charge !== undefined) {
    const bad = within('/latest_charge', checkCharge(charge));
    if (bad) return bad;
    const card = (charge as { payment_method_details: { card?: unknown } | null }).payment_method_details?.card;
    if (card !== undefined && card !== null) {
      const badCard = within('/latest_charge/payment_method_details/card', checkCard(card));
      if (badCard) return badCard;
    }
  }
  return { ok: true, value: fields.value as StripePaymentIntent };
}
export const checkRefundedCharge = checker(RefundedCharge);
export const checkDispute = checker(Dispute);
export const checkRefund = checker(Refund);

/** The card of an intent's expanded latest charge, already checked by `checkPaymentIntent`. */
export function cardOf(intent: StripePaymentIntent): { brand: string; last4: string } | null {
  const charge = intent.latest_charge;
  if (!charge || typeof charge === 'string') return null;
  return charge.payment_method_details?.card ?? null;
}

/** The id and order id of an object that failed its schema, read only if each has the expected shape. */
export function identifiersOf(value: unknown): { intentId: string | null; orderId: string | null } {
  const v = (value ?? {}) as { id?: unknown; metadata?: { order_id?: unknown } };
  const intentId = typeof v.id === 'string' && /^pi_[A-Za-z0-9_]{1,250}$/.test(v.id) ? v.id : null;
  const orderId =
    typeof v.metadata?.order_id === 'string' && UUID.test(v.metadata.order_id) ? v.metadata.order_id : null;
  return { intentId, orderId };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
