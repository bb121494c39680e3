import { ErrorBody } from '@shop/shared/errors';

/** The shipping address as the public contract names it; stored only as a tokenizer token. */
export const ShippingAddress = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'line1', 'city', 'postalCode', 'country'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    line1: { type: 'string', minLength: 1, maxLength: 200 },
    line2: { type: 'string', maxLength: 200 },
    city: { type: 'string', minLength: 1, maxLength: 100 },
    postalCode: { type: 'string', minLength: 1, maxLength: 20 },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
  },
} as const;

export const CheckoutBody = {
  type: 'object',
  additionalProperties: false,
  required: ['shippingAddress'],
  properties: { shippingAddress: ShippingAddress },
} as const;

export interface CheckoutBodyShape {
  shippingAddress: { name: string; line1: string; line2?: string; city: string; postalCode: string; country: string };
}

export const CheckoutResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'clientSecret', 'publishableKey'],
  properties: {
    orderId: { type: 'string', format: 'uuid' },
    clientSecret: { type: 'string' },
    publishableKey: { type: 'string' },
  },
} as const;

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
