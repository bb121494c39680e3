import Type, { type Static } from 'typebox';
import { Currency, MinorUnits, Uuid } from '../products/schemas.js';
import { MAX_QUANTITY, MIN_QUANTITY } from './cart-service.js';

/** A cart body is two small fields; anything near this size is not a real client. */
export const CART_BODY_LIMIT = 1024;

export const SetCartItemBody = Type.Object(
  {
    productId: Uuid,
    /** The quantity the line should have afterwards (set, not added). */
    quantity: Type.Integer({ minimum: MIN_QUANTITY, maximum: MAX_QUANTITY }),
  },
  { additionalProperties: false },
);
export type SetCartItemBody = Static<typeof SetCartItemBody>;

export const CartItemParams = Type.Object({ productId: Uuid }, { additionalProperties: false });

export const CartLine = Type.Object(
  {
    productId: Uuid,
    name: Type.String(),
    unitPriceMinor: MinorUnits,
    currency: Currency,
    quantity: Type.Integer({ minimum: MIN_QUANTITY, maximum: MAX_QUANTITY }),
    lineTotalMinor: MinorUnits,
  },
  { additionalProperties: false },
);
export type CartLine = Static<typeof CartLine>;

export const Cart = Type.Object(
  {
    items: Type.Array(CartLine),
    /** The cart's one currency; null while the cart is empty. */
    currency: Type.Union([Currency, Type.Null()]),
    subtotalMinor: MinorUnits,
    itemCount: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Cart = Static<typeof Cart>;
