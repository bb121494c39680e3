import Type, { type Static } from 'typebox';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'payment_failed',
  'ready_to_ship',
  'shipped',
  'refunded',
  'cancelled',
] as const;

export const OrderSearchQuery = Type.Object(
  {
    id: Type.Optional(Type.Union([Uuid, Type.Literal('')])),
    status: Type.Optional(Type.Union([...ORDER_STATUSES.map((s) => Type.Literal(s)), Type.Literal('')])),
    from: Type.Optional(Type.Union([Day, Type.Literal('')])),
    to: Type.Optional(Type.Union([Day, Type.Literal('')])),
    email: Type.Optional(Type.String({ maxLength: 254 })),
  },
  { additionalProperties: false },
);
export type OrderSearchQuery = Static<typeof OrderSearchQuery>;

export const OrderParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export type OrderParams = Static<typeof OrderParams>;

export const REVEALABLE = ['email', 'name', 'shipping_address'] as const;
export const RevealForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    field: Type.Union(REVEALABLE.map((f) => Type.Literal(f))),
    // Length is checked in the handler so a short reason gets its own code (and an audit entry).
    reason: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type RevealForm = Static<typeof RevealForm>;

export const CsrfForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });

export const RefundForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    amount: Type.String({ pattern: '^[0-9]{1,9}$' }),
    reason: Type.String({ minLength: 3, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type RefundForm = Static<typeof RefundForm>;

export const RefundParams = Type.Object({ id: Uuid, refundId: Uuid }, { additionalProperties: false });
export type RefundParams = Static<typeof RefundParams>;
