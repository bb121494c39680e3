import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CartOwner, loadCart, type PricedCart, removeCartItem, setCartItem } from './cart-service.js';
import { CART_BODY_LIMIT, Cart, CartItemParams, SetCartItemBody } from './schemas.js';

const EMPTY_CART: PricedCart = { items: [], currency: null, subtotalMinor: 0, itemCount: 0 };

/**
 * The owner of the request's cart. Reads never create a session (a crawler hitting
 * GET /api/cart must not fill the session store); only adding an item does.
 */
async function ownerOf(request: FastifyRequest, create: boolean): Promise<CartOwner | null> {
  if (request.userId) return { userId: request.userId, cartKey: '' };
  const cartKey = create ? (await request.ensureSession()).cartKey : request.currentCartKey();
  return cartKey ? { userId: null, cartKey } : null;
}

/**
 * The shopper's cart. Every answer is the whole cart, priced by the server from the
 * catalogue: the client never sends a price or a total.
 */
export default async function cartRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Only JSON here: Fastify's default text/plain parser would let a cross-site form-like
  // request reach validation; refusing it with 415 keeps the content type contract strict.
  app.removeContentTypeParser('text/plain');

  app.get(
    '/api/cart',
    {
      schema: {
        tags: ['cart'],
        summary: 'The current cart with server-computed totals',
        response: { 200: Cart },
      },
    },
    async (request) => {
      const owner = await ownerOf(request, false);
      return owner ? loadCart(app.db, owner) : EMPTY_CART;
    },
  );

  app.post(
    '/api/cart/items',
    {
      bodyLimit: CART_BODY_LIMIT,
      schema: {
        tags: ['cart'],
        summary: 'Set the quantity of a product in the cart (idempotent: the quantity is set, not added)',
        body: SetCartItemBody,
        response: { 200: Cart, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody },
      },
    },
    async (request) => {
      const owner = await ownerOf(request, true);
      if (!owner) throw new Error('a session was just ensured but has no cart key');
      return setCartItem(app.db, owner, request.body.productId, request.body.quantity);
    },
  );

  app.delete(
    '/api/cart/items/:productId',
    {
      bodyLimit: CART_BODY_LIMIT,
      schema: {
        tags: ['cart'],
        summary: 'Remove a product from the cart (idempotent)',
        params: CartItemParams,
        response: { 200: Cart, 400: ErrorBody },
      },
    },
    async (request) => {
      const owner = await ownerOf(request, false);
      return owner ? removeCartItem(app.db, owner, request.params.productId) : EMPTY_CART;
    },
  );
}
