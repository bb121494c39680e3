import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { ProductNotFoundError } from './product-errors.js';
import { findProduct, searchProducts } from './product-search.js';
import { PAGE_DEFAULT_LIMIT, Product, ProductList, ProductParams, ProductsQuery } from './schemas.js';

/** The public catalogue: `GET /api/products?q=&limit=&offset=` and `GET /api/products/:id`. */
export default async function productRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/products',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Search the catalogue (full-text, ranked) or list it by name when q is empty',
        querystring: ProductsQuery,
        response: { 200: ProductList, 400: ErrorBody },
      },
    },
    async (request) => {
      const { q = '', limit = PAGE_DEFAULT_LIMIT, offset = 0 } = request.query;
      return searchProducts(app.db, { q, limit, offset });
    },
  );

  app.get(
    '/api/products/:id',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'One product',
        params: ProductParams,
        response: { 200: Product, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const product = await findProduct(app.db, request.params.id);
      if (!product) throw new ProductNotFoundError();
      return product;
    },
  );
}
