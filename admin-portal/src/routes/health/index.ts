import type { FastifyInstance } from 'fastify';
import { HealthResponse } from './schemas.js';

/** Liveness. Reachable only through the staff mTLS handshake like every route. */
export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    { schema: { response: { 200: HealthResponse } }, config: { access: 'certificate' } },
    async () => ({
      status: 'ok',
    }),
  );
}
