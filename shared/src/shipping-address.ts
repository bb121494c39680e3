import Type, { type Static } from 'typebox';

/**
 * The shipping address as the public contract names it: the api validates checkout bodies
 * with it and the tokenizer checks every stored address against it, so a value the api
 * accepted is never one the vault refuses (and the storefront's form limits are tested
 * against it). It is stored only as a tokenizer token.
 */
export const ShippingAddress = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
  },
  { additionalProperties: false },
);
export type ShippingAddress = Static<typeof ShippingAddress>;
