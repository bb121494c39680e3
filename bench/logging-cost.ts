/**
 * Cost of the shared logger in isolation, on a machine others may share:
 * Figures are CPU time of this process (process.cpuUsage), so other processes on the machine
 * count less than in wall time.
 * 1. one access line through `loggerOptions` into a null stream, microseconds per line;
 * 2. a Fastify app answering a small JSON route through `inject`, with the service logger
 *    at info and with no logger: the difference is what logging costs a request.
 * Run: node --import tsx bench/logging-cost.ts
 */
import { Writable } from 'node:stream';
import { AccessLog, loggerOptions } from '@shop/shared/logger';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';

const sink = () => new Writable({ write: (_c, _e, done) => done() });

/** CPU time of this process in microseconds: others' load on the machine does not count. */
function cpu(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function perLine(): number[] {
  const log = pino(loggerOptions({ service: 'api', level: 'info' }), sink()).child({
    reqId: 'bc1e4a2e-2d9f-4d0e-9b7a-5f0c2e8d1a11',
  });
  const request = {
    id: 'bc1e4a2e-2d9f-4d0e-9b7a-5f0c2e8d1a11',
    method: 'GET',
    url: '/api/products?q=merino%20sweater&limit=20',
    routeOptions: { url: '/api/products' },
    params: {},
    ip: '127.0.0.1',
    headers: { host: '127.0.0.1:3000', cookie: '__Host-shop_sid=abc' },
  };
  const reply = { statusCode: 200, request };
  const N = 100_000;
  for (let i = 0; i < 20_000; i++) log.info({ req: request, res: reply, responseTime: 1.234 }, 'request completed');
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = cpu();
    for (let i = 0; i < N; i++) log.info({ req: request, res: reply, responseTime: 1.234 }, 'request completed');
    runs.push((cpu() - t0) / N);
  }
  return runs;
}

async function app(logged: boolean): Promise<FastifyInstance> {
  const a = Fastify(
    logged
      ? {
          logger: { ...loggerOptions({ service: 'api', level: 'info' }), stream: sink() },
          logController: new AccessLog(),
        }
      : { logger: false },
  );
  a.get('/api/products', async () => ({ items: [{ id: 1, name: 'Merino sweater', priceMinor: 8900 }], total: 1 }));
  await a.ready();
  return a;
}

async function perRequest(a: FastifyInstance): Promise<number> {
  const N = 5_000;
  const t0 = cpu();
  for (let i = 0; i < N; i++) await a.inject({ method: 'GET', url: '/api/products?q=merino%20sweater&limit=20' });
  return (cpu() - t0) / N;
}

const lines = perLine();
console.log(`access line: median ${median(lines).toFixed(2)} us (runs ${lines.map((x) => x.toFixed(1)).join(', ')})`);
const logged = await app(true);
const bare = await app(false);
await perRequest(logged);
await perRequest(bare);
const diffs: number[] = [];
for (let r = 0; r < 7; r++) diffs.push((await perRequest(logged)) - (await perRequest(bare)));
console.log(
  `inject, logging at info minus no logger: median ${median(diffs).toFixed(2)} us/request (runs ${diffs.map((x) => x.toFixed(1)).join(', ')})`,
);
await logged.close();
await bare.close();
