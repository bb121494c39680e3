import { defineError } from '@shop/shared/errors';

// Same answer for "never existed" and "removed": the id alone tells a client nothing more.
export const ProductNotFoundError = defineError('PRODUCT_NOT_FOUND', 'Product not found', 404);

// A cursor is opaque: one that was not made by this route, or for another kind of listing
// (a search cursor without q), is refused rather than guessed at.
export const ProductCursorInvalidError = defineError('PRODUCT_CURSOR_INVALID', 'The after cursor is not valid', 400);
// `after` and `offset` are two ways to say where a page starts: one at a time.
export const ProductPagingConflictError = defineError('PRODUCT_PAGING_CONFLICT', 'Use after or offset, not both', 400);
