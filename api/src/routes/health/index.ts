import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { NotReadyError } from '../../errors.js';

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness (the process answers) and readiness (PostgreSQL and Redis reachable). */
export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/healthz', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: Status, 429: ErrorBody, 503: ErrorBody } } }, async (request) => {
    const checks: Promise<unknown>[] = [within(2000, app.pingDatabase())];
    if (app.redis) checks.push(within(2000, app.redis.ping()));
    const results = await Promise.allSettled(checks);
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) {
      request.log.warn({ failed }, 'not ready');
      throw new NotReadyError();
    }
    return { status: 'ready' };
  });
}
