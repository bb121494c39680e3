import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Collects every route's schema into an OpenAPI document, served as JSON only at
 * /api/docs/json (no Swagger UI: it needs inline scripts our CSP forbids, fastify-swagger#397).
 * Registered before the routes so it sees them all.
 */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Shop API', version: '0.1.0', description: 'Public contract of the shop api' },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: '__Host-shop_sid' },
            csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
          },
        },
      },
    });
  },
  { name: 'openapi', fastify: '5.x' },
);
