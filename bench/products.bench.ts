/**
 * GET /api/products?q= on the hardened api (every security plugin: error model, helmet
 * headers, Redis-backed rate limit, sessions, CSRF hook, auth, request logging) against the
 * same route plugin in a bare Fastify app, on the same seeded database, in one run.
 * Rounds alternate (hardened, bare, hardened, bare) so drift on a shared machine hits both.
 * Target: hardened >= 0.8x bare throughput.
 */
import { uniqueName } from '@shop/shared/test-harness';
import { Redis } from 'ioredis';
import { type AppProcess, startAppProcess } from './support/app-process.js';
import { createBenchDatabase } from './support/bench-database.js';
import { type LoadResult, load } from './support/load.js';

const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 20;
const WARMUP_SECONDS = 3;
const ROUND_SECONDS = 10;
const ROUNDS = 2;
const TARGET_RATIO = 0.8;

// What shoppers type: single words, two-word queries, a phrase and a miss.
const PATHS = ['coffee', 'merino sweater', 'waterproof jacket', 'walnut', '"cast iron"', 'tea', 'zeppelin'].map(
  (q) => `/api/products?q=${encodeURIComponent(q)}&limit=20`,
);

async function checkAnswers(app: AppProcess, mode: string, products: number): Promise<void> {
  const res = await fetch(`${app.url}/api/products?q=coffee`);
  if (res.status !== 200) {
    throw new Error(
      `${mode} app answered ${res.status} to GET /api/products: is routes/products registered in buildApp (api/src/app.ts)?`,
    );
  }
  const body = (await res.json()) as { items: unknown[]; total: number };
  if (body.items.length === 0) throw new Error(`${mode} app found no coffee among ${products} seeded products`);
}

async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function measure(
  mode: 'hardened' | 'bare',
  env: Record<string, string>,
  products: number,
  seconds: number,
): Promise<LoadResult> {
  const app = await startAppProcess(mode, env);
  try {
    await checkAnswers(app, mode, products);
    await load(app.url, PATHS, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
    return await load(app.url, PATHS, { connections: CONNECTIONS, seconds });
  } finally {
    await app.stop();
  }
}

function mean(results: LoadResult[], pick: (r: LoadResult) => number): number {
  return results.reduce((s, r) => s + pick(r), 0) / results.length;
}

export default async function run(): Promise<void> {
  const database = await createBenchDatabase();
  const redisPrefix = `${uniqueName('bench')}:`;
  const env = { BENCH_DATABASE_URL: database.runtimeUrl, BENCH_REDIS_URL, BENCH_REDIS_PREFIX: redisPrefix };
  try {
    const hardened: LoadResult[] = [];
    const bare: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      hardened.push(await measure('hardened', env, database.products, ROUND_SECONDS));
      bare.push(await measure('bare', env, database.products, ROUND_SECONDS));
    }
    const h = {
      rps: mean(hardened, (r) => r.rps),
      p99: mean(hardened, (r) => r.p99),
      p50: mean(hardened, (r) => r.p50),
    };
    const b = { rps: mean(bare, (r) => r.rps), p99: mean(bare, (r) => r.p99), p50: mean(bare, (r) => r.p50) };
    const ratio = h.rps / b.rps;
    console.log(
      `products: GET /api/products?q= (${database.products} products, ${CONNECTIONS} connections, ` +
        `${ROUNDS} x ${ROUND_SECONDS} s per app after ${WARMUP_SECONDS} s warm-up, ${PATHS.length} queries round-robin)`,
    );
    console.table({
      hardened: { 'req/s': Math.round(h.rps), 'p50 ms': h.p50, 'p99 ms': h.p99 },
      bare: { 'req/s': Math.round(b.rps), 'p50 ms': b.p50, 'p99 ms': b.p99 },
    });
    console.log(
      `products: hardened/bare throughput ratio ${ratio.toFixed(2)}x (target >= ${TARGET_RATIO}x: ` +
        `${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); p99 ${h.p99} ms vs ${b.p99} ms`,
    );
  } finally {
    await database.drop();
    await deletePrefix(redisPrefix).catch((err: unknown) => {
      console.warn(`products: could not delete bench keys under ${redisPrefix}: ${(err as Error).message}`);
    });
  }
}
