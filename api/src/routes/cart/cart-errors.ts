import { defineError } from '@shop/shared/errors';

// A cart is priced and later charged in one currency: mixing would make the total meaningless.
export const CartCurrencyMismatchError = defineError(
  'CART_CURRENCY_MISMATCH',
  'This product is priced in another currency than the items already in the cart',
  409,
);
export const InsufficientStockError = defineError(
  'INSUFFICIENT_STOCK',
  'Not enough stock for the requested quantity',
  409,
);
