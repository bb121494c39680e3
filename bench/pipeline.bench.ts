import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, TEST_AMQP_URL, uniqueName } from '@shop/shared/test-harness';
import Stripe from 'stripe';
import { createDatabase } from '../api/src/db/client.js';
import { runMigrations } from '../api/src/db/migrate.js';
import { runtimeUrl } from '../api/src/db/roles.js';
import { STRIPE_API_VERSION } from '../api/src/payments/stripe-client.js';
import { deleteRedisPrefix } from '../api/test/support/redis-prefix.js';
import { StripeDouble } from '../api/test/support/stripe-double.js';
import { topologyFor } from '../order-worker/src/pipeline/topology.js';
import { type Child, forkChild } from './support/child-process.js';
import { type CommitRate, oneRowUpdateCommits } from './support/commit-rate.js';
import { profileWhile, wantProfile } from './support/cpu-profile.js';
import { type ArrangedOrder, arrangePaidReadyOrders, seedBenchProducts } from './support/pipeline-orders.js';
import { deleteQueuesAndExchanges, type RawResult, rawConfirmPublishConsume } from './support/raw-amqp.js';
import { median, percentile } from './support/stats.js';
import { deliverSucceededWebhooks } from './support/webhook-load.js';

const API_SERVER = fileURLToPath(new URL('./support/pipeline-api-server.ts', import.meta.url));
const WORKER = fileURLToPath(new URL('./support/pipeline-worker.ts', import.meta.url));
const AMQP_URL = process.env.BENCH_AMQP_URL ?? TEST_AMQP_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// 1,000 orders per run keeps the whole bench near a minute on 2 busy cores: the webhook route
// is the slow stage (well under 100/s here), and it takes 3 runs plus a warm-up.
const ORDERS = Number(process.env.BENCH_PIPELINE_ORDERS ?? 1000);
const WARMUP_ORDERS = 200;
const ROUNDS = 2;
const WEBHOOK_CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 16);
const PRODUCTS = 200;
const TARGET_RATIO = 0.3;
/** Orders of the profiled run (after the measured ones, when the target is missed or BENCH_PROFILE=1). */
const PROFILE_ORDERS = 300;
const COMMIT_SECONDS = 3;
/** Past this long without a newly fulfilled order, the rest count as lost. */
const STALL_MS = 30_000;
const POLL_MS = 25;
// Stripe's published webhook source addresses (docs.stripe.com/ips). Behind the gateway the
// api keys its rate limit on them, so they spread the load over the webhook route's per-address
// bucket (1,200/min) as real deliveries do; the rate-limit Redis round trip is still paid.
const STRIPE_WEBHOOK_ADDRESSES = [
  '3.18.12.63',
  '3.130.192.231',
  '13.235.14.237',
  '13.235.122.149',
  '18.211.135.69',
  '35.154.171.200',
  '52.15.183.38',
  '54.88.130.119',
  '54.88.130.237',
  '54.187.174.169',
  '54.187.205.235',
  '54.187.216.72',
];

interface WorkerStats {
  worker: Record<string, number>;
}

interface PipelineResult {
  perSecond: number;
  seconds: number;
  lost: number;
  doubled: number;
  doubledDetail: string[];
  redeliveriesCaught: number;
  latencies: number[];
  /** Orders per relay transaction (rows marked dispatched by one transaction share its now()). */
  perRelayBatch: number;
  /** Seconds from the first webhook sent to the last one answered. */
  webhookSeconds: number;
  apiCpuPerOrder: number;
  workerCpuPerOrder: number;
  /** The api's SQL statements (by verb and table) and Stripe calls in this run, each timed. */
  waits: { statements: Record<string, number[]>; stripe: number[] };
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

export default async function run(): Promise<void> {
  const loadBefore = load();
  const database = await createTestDatabase('bench_pipeline');
  const owner = createDatabase(database.url);
  owner.pool.on('error', () => {});
  const double = await new StripeDouble().start();
  const prefix = uniqueName('benchpipe').toLowerCase();
  const topology = topologyFor(prefix);
  const raw = { exchange: `${prefix}.raw.orders`, queue: `${prefix}.raw.fulfilment` };
  const redisPrefix = `${prefix}:`;
  const children: Child[] = [];
  try {
    await runMigrations(database.url);
    const stripe = new Stripe(double.secretKey, {
      apiVersion: STRIPE_API_VERSION,
      host: '127.0.0.1',
      port: double.port,
      protocol: 'http',
      telemetry: false,
    });
    const productIds = await seedBenchProducts(owner.db, PRODUCTS, 1_000_000);
    const arrangeStarted = Date.now();
    const warmup = await arrangePaidReadyOrders(owner.db, stripe, double, productIds, WARMUP_ORDERS);
    const batches: ArrangedOrder[][] = [];
    // One batch per round, and one for the backlog run.
    for (let r = 0; r <= ROUNDS; r++)
      batches.push(await arrangePaidReadyOrders(owner.db, stripe, double, productIds, ORDERS));
    const arrangeSeconds = (Date.now() - arrangeStarted) / 1000;

    // The worker connects as its own role, the api as the runtime role, as in production.
    const workerUrl = new URL(database.url);
    workerUrl.username = 'shop_order_worker';
    const api = await forkChild(
      API_SERVER,
      {
        BENCH_DATABASE_URL: runtimeUrl(database.url),
        BENCH_REDIS_URL: REDIS_URL,
        BENCH_REDIS_PREFIX: redisPrefix,
        BENCH_TRUSTED_PROXIES: '127.0.0.1',
        ...double.env(),
      },
      'api',
    );
    children.push(api);
    const worker = await forkChild(
      WORKER,
      {
        WORKER_DATABASE_URL: workerUrl.toString(),
        AMQP_URL,
        AMQP_TOPOLOGY_PREFIX: prefix,
        WORKER_RUN_RELAY: 'true',
        LOG_LEVEL: 'info',
      },
      'order-worker',
    );
    children.push(worker);
    const { prefetch, batchSize } = worker.ready as { prefetch: number; batchSize: number };
    const apiUrl = `http://127.0.0.1:${(api.ready as { port: number }).port}`;

    /**
     * Live: webhooks and worker run at once, timed from the first webhook. Backlog: the worker
     * is paused while the webhooks are taken, then resumed and timed alone (what the pipeline
     * behind the api can do, without the webhook route in front of it).
     */
    async function pipelineRun(batch: ArrangedOrder[], mode: 'live' | 'backlog' = 'live'): Promise<PipelineResult> {
      const ids = batch.map((o) => o.orderId);
      const before = await worker.ask<WorkerStats>('stats', 'stats');
      const stockBefore = await totalStock();
      const apiCpu = await api.ask<number>('cpu', 'cpuMicros');
      const workerCpu = await worker.ask<number>('cpu', 'cpuMicros');
      if (mode === 'backlog') await worker.ask('pause', 'paused');
      await api.ask('mark', 'marked');
      let webhooksDone = false;
      const delivery = deliverSucceededWebhooks(
        apiUrl,
        double,
        batch.map((o) => o.paymentIntentId),
        { concurrency: WEBHOOK_CONCURRENCY, sourceAddresses: STRIPE_WEBHOOK_ADDRESSES },
      ).finally(() => {
        webhooksDone = true;
      });
      delivery.catch(() => {});
      let resumedAt = 0;
      let resumed: Promise<unknown> = Promise.resolve();
      if (mode === 'backlog') {
        await delivery;
        resumedAt = performance.now();
        resumed = worker.ask('resume', 'resumed');
      }
      // Polls until every order of the batch is ready to ship, or nothing moved for STALL_MS
      // after the last webhook was answered.
      let ready = 0;
      let lastProgress = performance.now();
      let finishedAt = performance.now();
      while (ready < ids.length) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        const { rows } = await owner.pool.query<{ n: number }>(
          `select count(*)::int as n from orders where status = 'ready_to_ship' and id = any($1::uuid[])`,
          [ids],
        );
        const now = performance.now();
        const n = rows[0]?.n ?? 0;
        if (n > ready) lastProgress = now;
        ready = n;
        finishedAt = now;
        if (webhooksDone && now - lastProgress > STALL_MS) break;
      }
      const webhooks = await delivery;
      await resumed;
      const seconds = (finishedAt - (mode === 'backlog' ? resumedAt : webhooks.startedAt)) / 1000;
      const apiCpuPerOrder = ((await api.ask<number>('cpu', 'cpuMicros')) - apiCpu) / ids.length;
      const waits = await api.ask<PipelineResult['waits']>('waits', 'waits');
      const workerCpuPerOrder = ((await worker.ask<number>('cpu', 'cpuMicros')) - workerCpu) / ids.length;
      const after = await worker.ask<WorkerStats>('stats', 'stats');

      const doubledDetail: string[] = [];
      const { rows: twice } = await owner.pool.query<{ n: number }>(
        `select count(*)::int as n from (select payload->>'orderId' from outbox
         where topic = 'order.paid' and payload->>'orderId' = any($1::text[]) group by 1 having count(*) > 1) d`,
        [ids],
      );
      if ((twice[0]?.n ?? 0) > 0) doubledDetail.push(`${twice[0]?.n} orders with two order.paid events`);
      const processed = (after.worker.processed ?? 0) - (before.worker.processed ?? 0);
      if (processed > ids.length) doubledDetail.push(`${processed} messages processed for ${ids.length} orders`);
      const { rows: relayed } = await owner.pool.query<{ n: number }>(
        `select count(distinct dispatched_at)::int as n from outbox where payload->>'orderId' = any($1::text[])`,
        [ids],
      );
      const reserved = stockBefore - (await totalStock());
      if (reserved > ready) doubledDetail.push(`${reserved} units reserved for ${ready} fulfilled one-unit orders`);
      return {
        perSecond: ready / seconds,
        seconds,
        lost: ids.length - ready,
        doubled: doubledDetail.length,
        doubledDetail,
        redeliveriesCaught: (after.worker.duplicate ?? 0) - (before.worker.duplicate ?? 0),
        latencies: webhooks.latencies,
        perRelayBatch: ids.length / Math.max(1, relayed[0]?.n ?? 1),
        webhookSeconds: (webhooks.finishedAt - webhooks.startedAt) / 1000,
        apiCpuPerOrder,
        workerCpuPerOrder,
        waits,
      };
    }

    async function totalStock(): Promise<number> {
      const { rows } = await owner.pool.query<{ n: string }>('select sum(stock)::bigint as n from products');
      return Number(rows[0]?.n);
    }

    // Warm-up (JIT, pools, broker channels), then the size of the pipeline's real message:
    // the relay publishes JSON.stringify of the outbox row's payload.
    const warm = await pipelineRun(warmup);
    if (warm.lost > 0 || warm.doubled > 0) {
      throw new Error(`warm-up: ${warm.lost} lost, doubled: ${warm.doubledDetail.join('; ') || 'none'}`);
    }
    const { rows: sample } = await owner.pool.query<{ payload: unknown }>('select payload from outbox limit 1');
    const messageBytes = Buffer.byteLength(JSON.stringify(sample[0]?.payload));
    const rawRun = () => rawConfirmPublishConsume(AMQP_URL, raw, { messages: ORDERS, size: messageBytes, prefetch });
    await rawConfirmPublishConsume(AMQP_URL, raw, { messages: WARMUP_ORDERS, size: messageBytes, prefetch });

    const commitRun = () =>
      oneRowUpdateCommits(database.url, { concurrency: WEBHOOK_CONCURRENCY, seconds: COMMIT_SECONDS });
    const pipeline: PipelineResult[] = [];
    const rawResults: RawResult[] = [];
    const commitResults: CommitRate[] = [];
    const sides = ['pipeline', 'raw', 'commits'] as const;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(k + round) % sides.length];
        if (side === 'pipeline') pipeline.push(await pipelineRun(batches[round] as ArrangedOrder[]));
        else if (side === 'raw') rawResults.push(await rawRun());
        else commitResults.push(await commitRun());
      }
    }

    const backlog = await pipelineRun(batches[ROUNDS] as ArrangedOrder[], 'backlog');

    // Late doubles: anything processed twice after a batch was counted complete.
    const _final = await worker.ask<WorkerStats>('stats', 'stats');
    const totalOrders = WARMUP_ORDERS + (ROUNDS + 1) * ORDERS;
    const { rows: pm } = await owner.pool.query<{ n: number }>('select count(*)::int as n from processed_messages');
    const { rows: ob } = await owner.pool.query<{ n: number; undispatched: number }>(
      'select count(*)::int as n, (count(*) filter (where dispatched_at is null))::int as undispatched from outbox',
    );
    const lateDoubles: string[] = [];
    if ((pm[0]?.n ?? 0) !== totalOrders || (ob[0]?.n ?? 0) !== totalOrders) {
      lateDoubles.push(`${pm[0]?.n} processed messages and ${ob[0]?.n} outbox rows for ${totalOrders} orders`);
    }

    const ratios = pipeline.map((p, i) => p.perSecond / (commitResults[i] as CommitRate).perSecond);
    const ratio = median(ratios);
    const rawRatios = pipeline.map((p, i) => p.perSecond / (rawResults[i] as RawResult).perSecond);
    const all = [...pipeline, backlog];
    const lost = all.reduce((s, p) => s + p.lost, 0);
    const doubled = all.reduce((s, p) => s + p.doubled, 0) + lateDoubles.length;
    const latencies = pipeline.flatMap((p) => p.latencies);

    console.log(
      `pipeline: ${cpus().length} cores, load average ${loadBefore} at start, ${load()} at end ` +
        '(PostgreSQL, RabbitMQ, Redis, the api, the worker and this load generator share the cores, ' +
        'with whatever else the machine runs; figures move with that load)',
    );
    console.log(
      `pipeline: ${ROUNDS} alternating rounds of ${ORDERS} orders after a ${WARMUP_ORDERS}-order warm-up ` +
        `(${totalOrders} orders arranged in ${arrangeSeconds.toFixed(1)} s, not timed); webhooks at concurrency ` +
        `${WEBHOOK_CONCURRENCY}; worker prefetch ${prefetch}, relay batch ${batchSize}; message ${messageBytes} bytes; medians`,
    );
    console.table({
      'pipeline (webhook -> ready_to_ship)': {
        'per s': Math.round(median(pipeline.map((p) => p.perSecond))),
        runs: pipeline.map((p) => `${p.perSecond.toFixed(0)}/s in ${p.seconds.toFixed(2)} s`).join(', '),
      },
      'one-row UPDATE commits (same pg client)': {
        'per s': Math.round(median(commitResults.map((r) => r.perSecond))),
        runs: commitResults.map((r) => `${r.perSecond.toFixed(0)}/s in ${r.seconds.toFixed(2)} s`).join(', '),
      },
      'raw amqplib (confirm-publish + ack)': {
        'per s': Math.round(median(rawResults.map((r) => r.perSecond))),
        runs: rawResults.map((r) => `${r.perSecond.toFixed(0)}/s in ${r.seconds.toFixed(2)} s`).join(', '),
      },
    });
    console.log(
      `pipeline: webhook answer latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
        `(${latencies.length} webhooks); CPU per order: api ${median(pipeline.map((p) => p.apiCpuPerOrder)).toFixed(0)} µs + ` +
        `worker ${median(pipeline.map((p) => p.workerCpuPerOrder)).toFixed(0)} µs = ` +
        `${median(pipeline.map((p) => p.apiCpuPerOrder + p.workerCpuPerOrder)).toFixed(0)} µs ` +
        `(at most ${((cpus().length * 1e6) / median(pipeline.map((p) => p.apiCpuPerOrder + p.workerCpuPerOrder))).toFixed(0)} orders/s on ${cpus().length} cores, before PostgreSQL, RabbitMQ and Redis)`,
    );
    // Where a webhook's time goes once it leaves the api's CPU: its SQL round trips, one after
    // another, and its call to the Stripe double (live rounds).
    const byStatement = new Map<string, number[]>();
    for (const p of pipeline) {
      for (const [key, list] of Object.entries(p.waits.statements))
        byStatement.set(key, [...(byStatement.get(key) ?? []), ...list]);
    }
    const webhooks = pipeline.length * ORDERS;
    const stripeCalls = pipeline.flatMap((p) => p.waits.stripe);
    const perWebhook = [...byStatement.values()].reduce((n, l) => n + l.length, 0) / webhooks;
    const sqlMsPerWebhook = [...byStatement.values()].flat().reduce((a, b) => a + b, 0) / webhooks;
    console.log(
      `pipeline: api round trips per webhook: ${perWebhook.toFixed(1)} SQL statements, ${sqlMsPerWebhook.toFixed(1)} ms in all (mean), ` +
        `and ${(stripeCalls.length / webhooks).toFixed(1)} Stripe calls, p50 ${percentile(stripeCalls, 50).toFixed(1)} ms p99 ${percentile(stripeCalls, 99).toFixed(1)} ms`,
    );
    console.log(
      `    statements: ${[...byStatement.entries()]
        .sort((a, b) => b[1].length - a[1].length)
        .map(
          ([key, l]) =>
            `${key} x${(l.length / webhooks).toFixed(1)} p50 ${percentile(l, 50).toFixed(2)} p99 ${percentile(l, 99).toFixed(1)} ms`,
        )
        .join(', ')}`,
    );
    const webhookRate = median(pipeline.map((p) => ORDERS / p.webhookSeconds));
    const tail = median(pipeline.map((p) => p.seconds - p.webhookSeconds));
    console.log(
      `pipeline: the api answered the webhooks at ${webhookRate.toFixed(0)}/s; the last order was ready ` +
        `${(tail * 1000).toFixed(0)} ms after the last webhook answer; ` +
        `${median(pipeline.map((p) => p.perRelayBatch)).toFixed(1)} orders per relay transaction (medians)`,
    );
    const rawMedian = median(rawResults.map((r) => r.perSecond));
    console.log(
      `pipeline: behind the api (outbox -> relay -> RabbitMQ -> consumer -> ready_to_ship), a backlog of ${ORDERS} ` +
        `paid orders drained by the worker resumed after the webhooks: ${backlog.perSecond.toFixed(0)}/s in ` +
        `${backlog.seconds.toFixed(2)} s (worker CPU ${backlog.workerCpuPerOrder.toFixed(0)} µs per order, ` +
        `${backlog.perRelayBatch.toFixed(0)} orders per relay transaction; ` +
        `${(backlog.perSecond / rawMedian).toFixed(2)}x raw); the api took those webhooks, worker paused, at ` +
        `${(ORDERS / backlog.webhookSeconds).toFixed(0)}/s`,
    );
    console.log(
      `pipeline: lost ${lost}, doubled ${doubled}` +
        ` (redeliveries caught by the consumer's dedupe: ${all.reduce((s, p) => s + p.redeliveriesCaught, 0)}; ` +
        `${totalOrders} orders; ${ob[0]?.undispatched ?? '?'} outbox rows undispatched)`,
    );
    console.log(
      `pipeline: pipeline/raw amqplib ${median(rawRatios).toFixed(2)}x (context; per-round ${rawRatios.map((r) => r.toFixed(2)).join(' ')})`,
    );
    console.log(
      `pipeline: orders/s / one-row UPDATE commits/s ${ratio.toFixed(2)}x (per-round ${ratios.map((r) => r.toFixed(2)).join(' ')}; ` +
        `target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); lost ${lost} (target 0: ${lost === 0 ? 'met' : 'NOT met'}), ` +
        `doubled ${doubled} (target 0: ${doubled === 0 ? 'met' : 'NOT met'})`,
    );
    // Where the time goes: one more live run, with the api's and the worker's sampling profilers
    // on, after the measured runs (the profiler's own cost stays out of the ratio above).
    let profiled: PipelineResult | undefined;
    if (wantProfile(ratio < TARGET_RATIO)) {
      const batch = await arrangePaidReadyOrders(owner.db, stripe, double, productIds, PROFILE_ORDERS);
      const phase = await profileWhile(
        'pipeline',
        [api.profiler, worker.profiler],
        () => pipelineRun(batch),
        () => ({ count: PROFILE_ORDERS, unit: 'order' }),
      );
      profiled = phase.result;
      const apiCpu = median(pipeline.map((p) => p.apiCpuPerOrder));
      const workerCpu = median(pipeline.map((p) => p.workerCpuPerOrder));
      const overhead = (profiled.apiCpuPerOrder + profiled.workerCpuPerOrder) / (apiCpu + workerCpu) - 1;
      console.log(
        `pipeline: profiled run (after the measured runs and not in their figures; V8 sampling profiler every 1 ms ` +
          `in the api and the worker): ${PROFILE_ORDERS} orders at ${profiled.perSecond.toFixed(0)}/s, CPU per order api ` +
          `${profiled.apiCpuPerOrder.toFixed(0)} µs + worker ${profiled.workerCpuPerOrder.toFixed(0)} µs ` +
          `(${overhead >= 0 ? '+' : ''}${(overhead * 100).toFixed(0)}% on the measured runs' ${(apiCpu + workerCpu).toFixed(0)} µs: ` +
          `the profiler's cost, with the run-to-run noise); lost ${profiled.lost}, doubled ${profiled.doubled}`,
      );
      for (const line of phase.report) console.log(`    ${line}`);
    }
    if (lost > 0 || doubled > 0 || (profiled && (profiled.lost > 0 || profiled.doubled > 0))) {
      const details = [...all.flatMap((p) => p.doubledDetail), ...lateDoubles, ...(profiled?.doubledDetail ?? [])];
      throw new Error(
        `order pipeline lost ${lost + (profiled?.lost ?? 0)} and doubled ${doubled + (profiled?.doubled ?? 0)}: ${details.join('; ') || 'see above'}`,
      );
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
    await deleteQueuesAndExchanges(
      AMQP_URL,
      [topology.fulfilmentQueue, topology.mailQueue, topology.deadLetterQueue, raw.queue],
      [topology.exchange, topology.deadLetterExchange, raw.exchange],
    ).catch((err: unknown) => console.warn(`pipeline: could not delete the bench queues: ${(err as Error).message}`));
    await deleteRedisPrefix(REDIS_URL, redisPrefix).catch((err: unknown) =>
      console.warn(`pipeline: could not delete bench keys under ${redisPrefix}: ${(err as Error).message}`),
    );
    await owner.pool.end();
    await database.drop();
    await double.stop();
  }
}
