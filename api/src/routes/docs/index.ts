import type { FastifyInstance } from 'fastify';

/** The OpenAPI document generated from the route schemas (JSON only; see plugins/openapi.ts). */
export default async function docsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
