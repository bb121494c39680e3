/**
 * The real api (buildApp: every plugin, the webhook route as app.ts registers it) for
 * bench/pipeline.bench.ts, in its own process. Environment: BENCH_DATABASE_URL (runtime role),
 * BENCH_REDIS_URL, BENCH_REDIS_PREFIX, BENCH_TRUSTED_PROXIES and the STRIPE_* variables of the
 * Stripe double. Sends { port } once listening, { cpuMicros } when sent 'cpu'; closes on SIGTERM.
 */
import pino from 'pino';
import { buildApp } from '../../api/src/app.js';
import { loadApiConfig } from '../../api/src/config.js';
import { serveToParent } from './serve-to-parent.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (bench/pipeline.bench.ts sets it)`);
  return value;
}

const config = loadApiConfig({
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  DATABASE_URL: required('BENCH_DATABASE_URL'),
  REDIS_URL: required('BENCH_REDIS_URL'),
  REDIS_KEY_PREFIX: required('BENCH_REDIS_PREFIX'),
  // As behind the gateway: the client address (the rate-limit key) comes from X-Forwarded-For.
  TRUSTED_PROXIES: required('BENCH_TRUSTED_PROXIES'),
  STRIPE_SECRET_KEY: required('STRIPE_SECRET_KEY'),
  STRIPE_PUBLISHABLE_KEY: required('STRIPE_PUBLISHABLE_KEY'),
  STRIPE_WEBHOOK_SECRET: required('STRIPE_WEBHOOK_SECRET'),
  STRIPE_API_HOST: required('STRIPE_API_HOST'),
  STRIPE_API_PORT: required('STRIPE_API_PORT'),
  STRIPE_API_PROTOCOL: required('STRIPE_API_PROTOCOL'),
});
// One log line per request at info, as in production, written to /dev/null.
const app = await buildApp(config, { logStream: pino.destination({ dest: '/dev/null', sync: false }) });
await serveToParent(app);
