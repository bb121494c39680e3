import Type, { type Static } from 'typebox';
import { orderStatus } from '../../db/schema/index.js';
import {
  Currency,
  MinorUnits,
  PAGE_DEFAULT_LIMIT,
  PAGE_MAX_LIMIT,
  PAGE_MAX_OFFSET,
  Uuid,
} from '../products/schemas.js';

const OrderStatus = Type.Enum(orderStatus.enumValues);
const Timestamp = Type.String({ format: 'date-time' });

export const OrdersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: PAGE_DEFAULT_LIMIT })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: PAGE_MAX_OFFSET, default: 0 })),
  },
  { additionalProperties: false },
);

export const OrderParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const OrderSummary = Type.Object(
  {
    id: Uuid,
    status: OrderStatus,
    totalMinor: MinorUnits,
    currency: Currency,
    itemCount: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type OrderSummary = Static<typeof OrderSummary>;

export const OrderList = Type.Object(
  { items: Type.Array(OrderSummary), total: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type OrderList = Static<typeof OrderList>;

export const OrderLine = Type.Object(
  {
    productId: Uuid,
    name: Type.String(),
    unitPriceMinor: MinorUnits,
    quantity: Type.Integer({ minimum: 1 }),
    lineTotalMinor: MinorUnits,
  },
  { additionalProperties: false },
);
export type OrderLine = Static<typeof OrderLine>;

/** No card number can appear here: the shop only ever holds Stripe's brand and last 4 (PCI DSS 3.3, 3.4.1). */
export const OrderDetail = Type.Object(
  {
    id: Uuid,
    status: OrderStatus,
    totalMinor: MinorUnits,
    refundedMinor: MinorUnits,
    currency: Currency,
    createdAt: Timestamp,
    paidAt: Type.Union([Timestamp, Type.Null()]),
    cardBrand: Type.Union([Type.String(), Type.Null()]),
    cardLast4: Type.Union([Type.String({ pattern: '^[0-9]{4}$' }), Type.Null()]),
    items: Type.Array(OrderLine),
  },
  { additionalProperties: false },
);
export type OrderDetail = Static<typeof OrderDetail>;
