/**
 * The real api (buildApp: every plugin, the webhook route as app.ts registers it) for
 * bench/pipeline.bench.ts, in its own process. Environment: BENCH_DATABASE_URL (runtime role),
 * BENCH_REDIS_URL, BENCH_REDIS_PREFIX, BENCH_TRUSTED_PROXIES and the STRIPE_* variables of the
 * Stripe double. Sends { port } once listening, { cpuMicros } when sent 'cpu'; closes on SIGTERM.
 * 'mark' starts a phase and 'waits' answers, for the calls since the mark, the time each SQL
 * statement took from the pg client's call to its result (labelled by verb and table) and each
 * HTTP call to the Stripe double: where a webhook's time goes once it leaves the api's CPU.
 */
import { subscribe } from 'node:diagnostics_channel';
import pg from 'pg';
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
let statements = new Map<string, number[]>();
let stripeCalls: number[] = [];
function label(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? '?';
  const table = /\b(?:from|into|update)\s+"?(\w+)"?/i.exec(text)?.[1];
  return table ? `${verb} ${table}` : verb;
}
function timed(key: string, started: bigint): void {
  const list = statements.get(key) ?? [];
  list.push(Number(process.hrtime.bigint() - started) / 1e6);
  statements.set(key, list);
}
type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const clientQuery = pg.Client.prototype.query as unknown as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const key = label(typeof first === 'string' ? first : (first?.text ?? ''));
  const started = process.hrtime.bigint();
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (...r: unknown[]) => {
      timed(key, started);
      return (callback as (...x: unknown[]) => unknown)(...r);
    };
    return clientQuery.apply(this, args);
  }
  const result = clientQuery.apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    (result as Promise<unknown>).then(
      () => timed(key, started),
      () => timed(key, started),
    );
  }
  return result;
};
const stripeStarted = new WeakMap<object, bigint>();
subscribe('http.client.request.start', (m) =>
  stripeStarted.set((m as { request: object }).request, process.hrtime.bigint()),
);
subscribe('http.client.response.finish', (m) => {
  const started = stripeStarted.get((m as { request: object }).request);
  if (started !== undefined) stripeCalls.push(Number(process.hrtime.bigint() - started) / 1e6);
});
process.on('message', (m) => {
  if (m === 'mark') {
    statements = new Map();
    stripeCalls = [];
    process.send?.({ marked: true });
  }
  if (m === 'waits') process.send?.({ waits: { statements: Object.fromEntries(statements), stripe: stripeCalls } });
});

// One log line per request at info, as in production, written to /dev/null.
const app = await buildApp(config, { logStream: pino.destination({ dest: '/dev/null', sync: false }) });
await serveToParent(app);
