import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { OrderNotFoundError } from '../../errors.js';
import { PAGE_DEFAULT_LIMIT } from '../products/schemas.js';
import { findOrder, listOrders } from './order-queries.js';
import { OrderDetail, OrderList, OrderParams, OrdersQuery } from './schemas.js';

/** The signed-in shopper's own orders; nobody else's are reachable through these routes. */
export default async function orderRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/orders',
    {
      preHandler: app.requireUser,
      schema: {
        tags: ['orders'],
        summary: "The caller's orders, newest first",
        querystring: OrdersQuery,
        response: { 200: OrderList, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => {
      const { limit = PAGE_DEFAULT_LIMIT, offset = 0 } = request.query;
      // requireUser ran: userId is set. Checked again so a misordered hook can never widen access.
      if (!request.userId) throw new Error('requireUser did not run');
      return listOrders(app.db, request.userId, { limit, offset });
    },
  );

  app.get(
    '/api/orders/:id',
    {
      preHandler: app.requireUser,
      schema: {
        tags: ['orders'],
        summary: "One of the caller's orders; another shopper's id answers 404",
        params: OrderParams,
        response: { 200: OrderDetail, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      if (!request.userId) throw new Error('requireUser did not run');
      const order = await findOrder(app.db, request.userId, request.params.id);
      if (!order) throw new OrderNotFoundError();
      return order;
    },
  );
}
