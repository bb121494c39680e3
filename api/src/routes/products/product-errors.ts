import { defineError } from '@shop/shared/errors';

// Same answer for "never existed" and "removed": the id alone tells a client nothing more.
export const ProductNotFoundError = defineError('PRODUCT_NOT_FOUND', 'Product not found', 404);
