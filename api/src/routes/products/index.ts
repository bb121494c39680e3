import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { ProductNotFoundError, ProductPagingConflictError } from '../../errors.js';
import type { CatalogueEngine } from './catalogue-engine.js';
import { PostgresCatalogue } from './product-search.js';
import { PAGE_DEFAULT_LIMIT, Product, ProductList, ProductParams, ProductsQuery } from './schemas.js';

export interface ProductRoutesOptions {
  /** The search engine behind the routes; PostgreSQL full-text search unless one is given. */
  catalogue?: CatalogueEngine;
}

/** The public catalogue: `GET /api/products?q=&limit=&offset=&after=` and `GET /api/products/:id`. */
export default async function productRoutes(fastify: FastifyInstance, options: ProductRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const catalogue = options.catalogue ?? new PostgresCatalogue(app.db);

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
      const { q = '', limit = PAGE_DEFAULT_LIMIT, offset = 0, after } = request.query;
      if (after !== undefined && offset > 0) throw new ProductPagingConflictError();
      return catalogue.search({ q: q.trim(), limit, offset, ...(after === undefined ? {} : { after }) });
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
      const product = await catalogue.get(request.params.id);
      if (!product) throw new ProductNotFoundError();
      return product;
    },
  );
}
