/**
 * GET /api/products?q= on the hardened api (every security plugin: error model, helmet
 * headers, Redis-backed rate limit, sessions, CSRF hook, auth, request logging) against the
 * same route plugin in a bare Fastify app, on the same seeded database, in one run.
 * Both apps run at once in their own processes and take the load in alternating short
 * slices, so drift on a shared machine hits both alike; figures are medians.
 * Target: hardened >= 0.8x bare throughput. When it is missed (or BENCH_PROFILE=1), one more
 * slice of the hardened app runs with its CPU profiler on, after the measured pairs.
 */
import { uniqueName } from '@shop/shared/test-harness';
import { deleteRedisPrefix } from '../api/test/support/redis-prefix.js';
import { type AppProcess, startAppProcess } from './support/app-process.js';
import { createBenchDatabase } from './support/bench-database.js';
import { profileWhile, wantProfile } from './support/cpu-profile.js';
import { type LoadResult, load } from './support/load.js';
import { median } from './support/stats.js';

const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 20;
const WARMUP_SECONDS = 3;
// Short alternating slices with both apps up: a slice of hardened and the next slice of bare
// see nearly the same machine load, so their ratio is meaningful even on a busy machine.
const SLICE_SECONDS = 4;
const PAIRS = 6;
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

function summarise(results: LoadResult[]) {
  return {
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
  };
}

export default async function run(): Promise<void> {
  const database = await createBenchDatabase();
  const redisPrefix = `${uniqueName('bench')}:`;
  const env = { BENCH_DATABASE_URL: database.runtimeUrl, BENCH_REDIS_URL, BENCH_REDIS_PREFIX: redisPrefix };
  const apps: AppProcess[] = [];
  try {
    const hardenedApp = await startAppProcess('hardened', env);
    apps.push(hardenedApp);
    const bareApp = await startAppProcess('bare', env);
    apps.push(bareApp);
    await checkAnswers(hardenedApp, 'hardened', database.products);
    await checkAnswers(bareApp, 'bare', database.products);
    await load(hardenedApp.url, PATHS, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
    await load(bareApp.url, PATHS, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });

    const hardened: LoadResult[] = [];
    const bare: LoadResult[] = [];
    const cpuPerRequest = { hardened: [] as number[], bare: [] as number[] };
    for (let pair = 0; pair < PAIRS; pair++) {
      // Alternate which app goes first so neither always gets the quieter half of a pair.
      const order = pair % 2 === 0 ? (['hardened', 'bare'] as const) : (['bare', 'hardened'] as const);
      for (const mode of order) {
        const app = mode === 'hardened' ? hardenedApp : bareApp;
        const cpuBefore = await app.cpuMicros();
        const result = await load(app.url, PATHS, { connections: CONNECTIONS, seconds: SLICE_SECONDS });
        cpuPerRequest[mode].push(((await app.cpuMicros()) - cpuBefore) / result.requests);
        (mode === 'hardened' ? hardened : bare).push(result);
      }
    }
    const ratios = hardened.map((h, i) => h.rps / (bare[i] as LoadResult).rps);
    const ratio = median(ratios);
    const h = summarise(hardened);
    const b = summarise(bare);
    console.log(
      `products: GET /api/products?q= (${database.products} products, ${CONNECTIONS} connections, ` +
        `${PAIRS} alternating pairs of ${SLICE_SECONDS} s slices after ${WARMUP_SECONDS} s warm-up, ` +
        `${PATHS.length} queries round-robin; medians)`,
    );
    console.log(
      'products: hardened = buildApp with every plugin, info logging (to /dev/null), Redis rate limit with the ' +
        'global max raised so no 429s (each request still pays its Redis counter round trip); bare = Fastify() + the same route plugin',
    );
    console.table({
      hardened: { 'req/s': Math.round(h.rps), 'p50 ms': h.p50, 'p99 ms': h.p99 },
      bare: { 'req/s': Math.round(b.rps), 'p50 ms': b.p50, 'p99 ms': b.p99 },
    });
    console.log(`products: per-pair ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    const cpuH = median(cpuPerRequest.hardened);
    const cpuB = median(cpuPerRequest.bare);
    console.log(
      `products: app CPU per request ${cpuH.toFixed(0)} µs hardened vs ${cpuB.toFixed(0)} µs bare ` +
        `(CPU-bound throughput ratio ${(cpuB / cpuH).toFixed(2)}x; less sensitive to other load on the machine)`,
    );
    console.log(
      `products: hardened/bare throughput ratio ${ratio.toFixed(2)}x (median of pairs; target >= ${TARGET_RATIO}x: ` +
        `${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); p99 ${h.p99} ms vs ${b.p99} ms`,
    );
    // Where the hardened app's time goes: one more slice with its sampling profiler on, after the
    // measured pairs (the profiler's own cost stays out of the ratio above).
    if (wantProfile(ratio < TARGET_RATIO)) {
      const phase = await profileWhile(
        'products',
        [hardenedApp.profiler],
        async () => {
          const cpuBefore = await hardenedApp.cpuMicros();
          const result = await load(hardenedApp.url, PATHS, { connections: CONNECTIONS, seconds: SLICE_SECONDS });
          return { result, cpuPerRequest: ((await hardenedApp.cpuMicros()) - cpuBefore) / result.requests };
        },
        ({ result }) => ({ count: result.requests, unit: 'request' }),
      );
      const { result, cpuPerRequest } = phase.result;
      const overhead = cpuPerRequest / cpuH - 1;
      console.log(
        `products: profiled hardened slice (after the measured pairs and not in their figures; V8 sampling profiler ` +
          `every 1 ms in the app): ${Math.round(result.rps)} req/s, app CPU ${cpuPerRequest.toFixed(0)} µs per request ` +
          `(${overhead >= 0 ? '+' : ''}${(overhead * 100).toFixed(0)}% on the measured ${cpuH.toFixed(0)} µs: the profiler's cost, with the run-to-run noise)`,
      );
      for (const line of phase.report) console.log(`    ${line}`);
    }
  } finally {
    for (const app of apps) await app.stop();
    await database.drop();
    await deleteRedisPrefix(BENCH_REDIS_URL, redisPrefix).catch((err: unknown) => {
      console.warn(`products: could not delete bench keys under ${redisPrefix}: ${(err as Error).message}`);
    });
  }
}
