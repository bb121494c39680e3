import type { FastifyInstance } from 'fastify';

/** Liveness and readiness. Readiness checks the database and the key provider, and says which is down, not why. */
export async function healthRoutes(app: FastifyInstance) {
  const Status = {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: {
      status: { type: 'string' },
      checks: {
        type: 'object',
        additionalProperties: false,
        properties: { database: { type: 'string' }, keys: { type: 'string' } },
      },
    },
  } as const;

  app.get('/healthz', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const { database, provider } = app.tokenizer;
    const [db, keys] = await Promise.all([
      database.pool.query('SELECT 1').then(
        () => 'ok',
        () => 'unavailable',
      ),
      provider.health().then(
        (h) => h.status,
        () => 'unavailable',
      ),
    ]);
    const ready = db === 'ok' && keys === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: { database: db, keys } });
  });
}
