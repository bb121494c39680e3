import { ErrorBody } from '@shop/shared/errors';
import { ShippingAddress } from '@shop/shared/shipping-address';
import Type, { type Static } from 'typebox';

export { ShippingAddress };

export const CheckoutBody = Type.Object({ shippingAddress: ShippingAddress }, { additionalProperties: false });
export type CheckoutBody = Static<typeof CheckoutBody>;

export const CheckoutResponse = Type.Object(
  {
    orderId: Type.String({ format: 'uuid' }),
    clientSecret: Type.String(),
    publishableKey: Type.String(),
  },
  { additionalProperties: false },
);
export type CheckoutResponse = Static<typeof CheckoutResponse>;

export const checkoutRouteSchema = {
  tags: ['checkout'],
  summary: 'Prices the cart on the server and opens its PaymentIntent',
  body: CheckoutBody,
  response: {
    200: CheckoutResponse,
    400: ErrorBody,
    401: ErrorBody,
    402: ErrorBody,
    403: ErrorBody,
    409: ErrorBody,
    429: ErrorBody,
    502: ErrorBody,
    503: ErrorBody,
  },
} as const;
