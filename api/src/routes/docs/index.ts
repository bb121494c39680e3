import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

/** The OpenAPI document generated from the route schemas (JSON only; see plugins/openapi.ts). */
export default async function docsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
