/**
 * One app under load, in its own process so the load generator never shares its event loop.
 * Usage (forked by bench/support/app-process.ts): products-server.ts <hardened|bare>
 * Environment: BENCH_DATABASE_URL (runtime role), BENCH_REDIS_URL, BENCH_REDIS_PREFIX.
 * Sends { port } to the parent once listening, { cpuMicros } when sent 'cpu'; closes on SIGTERM.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../api/src/app.js';
import { loadApiConfig } from '../../api/src/config.js';
import { createDatabase } from '../../api/src/db/client.js';
import productRoutes from '../../api/src/routes/products/index.js';
import { serveToParent } from './serve-to-parent.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Every security plugin of the real api, configured as in production except the two noted. */
async function hardened(): Promise<FastifyInstance> {
  const config = loadApiConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: required('BENCH_DATABASE_URL'),
    REDIS_URL: required('BENCH_REDIS_URL'),
    REDIS_KEY_PREFIX: required('BENCH_REDIS_PREFIX'),
    // The limit is raised, not bypassed: every request still costs its Redis counter round
    // trip (the cost this bench exists to measure), but one client at bench rates would
    // otherwise be refused with 429 after the first few hundred requests.
    RATE_LIMIT_GLOBAL_MAX: '100000000',
  });
  // Logging stays on at info, one line per request as in production; the lines go to
  // /dev/null so the terminal is not what gets measured.
  return buildApp(config, { logStream: pino.destination({ dest: '/dev/null', sync: false }) });
}

/** The same route plugin and database pool, and nothing else: no logger, headers, limits or sessions. */
async function bare(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const { db, pool } = createDatabase(required('BENCH_DATABASE_URL'));
  app.decorate('db', db);
  app.addHook('onClose', async () => {
    await pool.end();
  });
  await app.register(productRoutes);
  return app;
}

const mode = process.argv[2];
if (mode !== 'hardened' && mode !== 'bare') throw new Error(`unknown mode ${mode}: expected hardened or bare`);
const app = mode === 'hardened' ? await hardened() : await bare();
await serveToParent(app);
