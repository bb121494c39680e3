/**
 * vault-tokenizer figures, side by side with the limit (the same AES-256-GCM work in a plain
 * in-process loop, no TLS, no database, no audit):
 *   - batch tokenize throughput (fields/s), batches of 1000 values, one subject per batch;
 *   - single-token detokenize p50/p99 with 64 callers, each over its own mTLS connection: back to
 *     back (saturated: its p99 is queueing, printed as context), then paced, open loop, at half the
 *     saturated throughput (the target);
 *   - key-provider calls per 10,000 values (the provider is wrapped in a counter).
 * Targets: >= 20,000 fields/s; paced p99 detokenize <= 10 ms; <= 10 provider calls per 10,000 values.
 * When the tokenize or the paced target is missed (or BENCH_PROFILE=1), that phase runs once more
 * with the server's CPU profiler on, after the measured phases, and its profile is summarised.
 * The tokenizer runs as a bundle (scripts/build.mjs --bench) under plain node, as production does.
 * The tokenizer runs in a child process on a spare port with throwaway certificates, on a
 * fresh database of the shared PostgreSQL (dropped at the end).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { createTestDatabase } from '@shop/shared/test-harness';
import { benchBundle, childExecArgv } from './support/bundles.js';
import { type CpuProfile, type Profilable, profileWhile, wantProfile } from './support/cpu-profile.js';
import { percentileOfSorted } from './support/stats.js';

const SERVER = fileURLToPath(new URL('./support/tokenizer-server.ts', import.meta.url));
const POLICY = fileURLToPath(new URL('../vault-tokenizer/policy/policy.json', import.meta.url));
const BATCH = 1000;
const TOKENIZE_CONCURRENCY = 2;
const TOKENIZE_SECONDS = 8;
const DETOKENIZE_CALLERS = 64;
const DETOKENIZE_SECONDS = 8;
/** The paced phase offers this share of the throughput measured at saturation. */
const PACED_SHARE = 0.5;
const PACED_SECONDS = 6;
const TARGET_FIELDS_PER_S = 20_000;
const TARGET_P99_MS = 10;
const TARGET_CALLS_PER_10K = 10;

interface Reply {
  status: number;
  body: string;
}

function post(port: number, agent: https.Agent, path: string, payload: unknown): Promise<Reply> {
  const data = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        servername: 'vault-tokenizer',
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function batchItems(n: number, seed: number) {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { field: 'email', value: `customer.${seed}.${i}@example.net` }
      : { field: 'name', value: `Customer ${seed} Number ${i}` },
  );
}

/** The limit: the same per-value AES-256-GCM work (random IV, associated data) in a tight loop. */
function plainLoop(seconds: number) {
  const key = randomBytes(32);
  const items = batchItems(BATCH, 0);
  let fields = 0;
  const until = Date.now() + seconds * 1000;
  const sealed: { iv: Buffer; ct: Buffer; tag: Buffer; aad: Buffer }[] = [];
  while (Date.now() < until) {
    for (const [i, item] of items.entries()) {
      const iv = randomBytes(12);
      const aad = Buffer.from(`v1\u001ftok_${i}\u001f${item.field}\u001fsubject\u001f1`);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(item.value, 'utf8'), c.final()]);
      if (sealed.length < 1000) sealed.push({ iv, ct, tag: c.getAuthTag(), aad });
    }
    fields += items.length;
  }
  const latencies: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (const s of sealed) {
      const t0 = process.hrtime.bigint();
      const d = createDecipheriv('aes-256-gcm', key, s.iv);
      d.setAAD(s.aad);
      d.setAuthTag(s.tag);
      Buffer.concat([d.update(s.ct), d.final()]).toString('utf8');
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    fieldsPerS: fields / seconds,
    p50: percentileOfSorted(latencies, 50),
    p99: percentileOfSorted(latencies, 99),
  };
}

async function startServer(env: Record<string, string>): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(benchBundle(SERVER), [], {
    execArgv: childExecArgv(),
    env: { ...process.env, ...env },
    // stdout carries the request and audit log lines (written, as in production, but not shown).
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tokenizer did not start within 60 s')), 60_000);
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error('tokenizer sent no port'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tokenizer exited with code ${code} before listening`));
    });
  });
  return { port, child };
}

interface ServerPhase {
  cpuMicros: number;
  handled: number[];
  statements: Record<string, number[]>;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/**
 * Where a phase's time went, on both sides: the server's CPU per call and its own handling time
 * (headers parsed to response written), and how late each side's event loop ran (a late loop
 * with little CPU used means the process waited for a core: the rest of the machine).
 */
class PhaseProbe {
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  private cpu = process.cpuUsage();
  constructor(private readonly child: ChildProcess) {}
  async start(): Promise<void> {
    await ask(this.child, 'mark');
    this.cpu = process.cpuUsage();
    this.loop.reset();
    this.loop.enable();
  }
  async stop(calls: number): Promise<{ where: string; serverCpuPerCall: number }> {
    this.loop.disable();
    const client = process.cpuUsage(this.cpu);
    const server = await ask<ServerPhase>(this.child, 'phase');
    const handled = [...server.handled].sort((a, b) => a - b);
    const statements = Object.entries(server.statements)
      .map(([name, times]) => {
        const sorted = [...times].sort((a, b) => a - b);
        return `${name} x${sorted.length} p50 ${percentileOfSorted(sorted, 50).toFixed(2)} p99 ${percentileOfSorted(sorted, 99).toFixed(2)} ms`;
      })
      .join(', ');
    const where =
      `server CPU ${(server.cpuMicros / calls).toFixed(0)} µs/call, handling p50 ${percentileOfSorted(handled, 50).toFixed(2)} ms ` +
      `p99 ${percentileOfSorted(handled, 99).toFixed(2)} ms, event loop delay p99 ${server.loopDelayP99Ms.toFixed(1)} ms ` +
      `(max ${server.loopDelayMaxMs.toFixed(1)}) | load generator CPU ${((client.user + client.system) / calls).toFixed(0)} µs/call, ` +
      `event loop delay p99 ${(this.loop.percentile(99) / 1e6).toFixed(1)} ms (max ${(this.loop.max / 1e6).toFixed(1)})` +
      `\n    statements: ${statements}`;
    return { where, serverCpuPerCall: server.cpuMicros / calls };
  }
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });
}

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tokenizer-bench-'));
  const ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  await ca.issue('vault-tokenizer', { server: true });
  await ca.issue('api');
  await ca.issue('order-worker');
  const db = await createTestDatabase('bench_tokenizer');
  let server: { port: number; child: ChildProcess } | undefined;
  const agents: https.Agent[] = [];
  try {
    server = await startServer({
      BENCH_DB_URL: db.url,
      BENCH_CA_DIR: ca.dir,
      BENCH_KEK_FILE: join(dir, 'kek.json'),
      BENCH_POLICY_FILE: POLICY,
    });
    const { port, child } = server;
    const api = await ca.material('api');
    const worker = await ca.material('order-worker');
    const apiAgent = new https.Agent({ keepAlive: true, maxSockets: TOKENIZE_CONCURRENCY, ...api });
    agents.push(apiAgent);

    // 1. Batch tokenize: TOKENIZE_CONCURRENCY callers send 1000-value batches back to back.
    let seed = 0;
    const tokens: string[] = [];
    const tokenizeBatch = async () => {
      const s = seed++;
      const res = await post(port, apiAgent, '/v1/tokenize', {
        subjectId: `subject-${s}`,
        items: batchItems(BATCH, s),
      });
      if (res.status !== 200) throw new Error(`tokenize answered ${res.status}: ${res.body.slice(0, 200)}`);
      const got = (JSON.parse(res.body) as { tokens: string[] }).tokens;
      // Keep the email tokens (even positions) for the detokenize phase.
      for (let i = 0; i < got.length && tokens.length < 50_000; i += 2) tokens.push(got[i] as string);
    };
    for (let i = 0; i < 3; i++) await tokenizeBatch(); // warm-up: JIT, pool, first keys
    // Provider calls are counted from the server's start, warm-up (first KEK) included.
    const warmupValues = 3 * BATCH + DETOKENIZE_CALLERS * 5;
    const tokenizeFor = async (seconds: number) => {
      let fields = 0;
      const started = Date.now();
      const until = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: TOKENIZE_CONCURRENCY }, async () => {
          while (Date.now() < until) {
            await tokenizeBatch();
            fields += BATCH;
          }
        }),
      );
      return { fields, seconds: (Date.now() - started) / 1000 };
    };
    const { fields, seconds: tokenizeSeconds } = await tokenizeFor(TOKENIZE_SECONDS);
    const fieldsPerS = fields / tokenizeSeconds;

    // 2. Single detokenize, 64 concurrent callers (one mTLS connection each), random tokens of many subjects.
    const workerAgents = Array.from(
      { length: DETOKENIZE_CALLERS },
      () => new https.Agent({ keepAlive: true, maxSockets: 1, ...worker }),
    );
    agents.push(...workerAgents);
    const latencies: number[] = [];
    let detokenized = 0;
    const callOnce = async (agent: https.Agent, record: boolean) => {
      const token = tokens[Math.floor(Math.random() * tokens.length)];
      const t0 = process.hrtime.bigint();
      const res = await post(port, agent, '/v1/detokenize', { items: [{ token, field: 'email' }] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 200) throw new Error(`detokenize answered ${res.status}: ${res.body.slice(0, 200)}`);
      if (record) latencies.push(ms);
    };
    await Promise.all(
      workerAgents.map(async (a) => {
        for (let i = 0; i < 5; i++) await callOnce(a, false);
      }),
    ); // connect + warm-up
    const probe = new PhaseProbe(child);
    await probe.start();
    const detokenizeUntil = Date.now() + DETOKENIZE_SECONDS * 1000;
    await Promise.all(
      workerAgents.map(async (a) => {
        while (Date.now() < detokenizeUntil) {
          await callOnce(a, true);
          detokenized++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const saturated = await probe.stop(detokenized);

    // 2b. The same 64 callers, paced (open loop) at half the saturated throughput between them,
    // timed from when the call was due (so a slow answer is not hidden by the caller waiting).
    const saturatedPerS = detokenized / DETOKENIZE_SECONDS;
    const pacedPerCaller = (saturatedPerS * PACED_SHARE) / DETOKENIZE_CALLERS;
    const pacedRun = async () => {
      const paced: number[] = [];
      const sentLate: number[] = [];
      let calls = 0;
      const pacedUntil = Date.now() + PACED_SECONDS * 1000;
      await Promise.all(
        workerAgents.map(async (a, n) => {
          const interval = 1000 / pacedPerCaller;
          let due = Date.now() + (n * interval) / DETOKENIZE_CALLERS;
          const pending: Promise<void>[] = [];
          while (due < pacedUntil) {
            const wait = due - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            const scheduled = due;
            // How late the load generator itself sent the call (its own event loop, or the core it
            // waited for): part of the figure from the due time, and not the tokenizer's doing.
            sentLate.push(Math.max(0, Date.now() - scheduled));
            const token = tokens[Math.floor(Math.random() * tokens.length)];
            pending.push(
              post(port, a, '/v1/detokenize', { items: [{ token, field: 'email' }] }).then((res) => {
                if (res.status !== 200) throw new Error(`detokenize answered ${res.status}`);
                paced.push(Date.now() - scheduled);
                calls++;
              }),
            );
            due += interval;
          }
          await Promise.all(pending);
        }),
      );
      paced.sort((a, b) => a - b);
      sentLate.sort((a, b) => a - b);
      return { paced, sentLate, calls };
    };
    await probe.start();
    const { paced, sentLate, calls: pacedCalls } = await pacedRun();
    const pacedProbe = await probe.stop(pacedCalls);
    const after = await ask<{ keyCalls: number }>(child, 'counts');
    const values = warmupValues + fields + detokenized + pacedCalls;
    const callsPer10k = (after.keyCalls / values) * 10_000;
    const pacedP99 = percentileOfSorted(paced, 99);

    // 2c. Where a missed target's time goes: its phase once more, with the server's sampling
    // profiler on, after the measured phases (the profiler's cost stays out of their figures);
    // the provider calls were counted above, before these values.
    const profiler: Profilable = {
      name: 'server',
      start: () => ask(child, 'profile-start'),
      stop: async () => (await ask<{ profile: CpuProfile }>(child, 'profile-stop')).profile,
    };
    const tokenizeProfileLines: string[] = [];
    if (wantProfile(fieldsPerS < TARGET_FIELDS_PER_S)) {
      const phase = await profileWhile(
        'tokenizer-batch',
        [profiler],
        () => tokenizeFor(TOKENIZE_SECONDS / 2),
        (run) => ({ count: run.fields, unit: 'field' }),
      );
      const profiledRate = phase.result.fields / phase.result.seconds;
      tokenizeProfileLines.push(
        `  batch tokenize, profiled (after the measured phases and not in their figures; V8 sampling profiler every 1 ms in the server): ` +
          `${profiledRate.toFixed(0)} fields/s (${profiledRate >= fieldsPerS ? '+' : ''}${((profiledRate / fieldsPerS - 1) * 100).toFixed(0)}% on the measured rate: the profiler's cost, with the run-to-run noise)`,
        ...phase.report.map((l) => `    ${l}`),
      );
    }
    const profileLines: string[] = [];
    if (wantProfile(pacedP99 > TARGET_P99_MS)) {
      const phase = await profileWhile(
        'tokenizer-paced',
        [profiler],
        async () => {
          await probe.start();
          const run = await pacedRun();
          return { ...run, probe: await probe.stop(run.calls) };
        },
        (run) => ({ count: run.calls, unit: 'call' }),
      );
      const p99 = percentileOfSorted(phase.result.paced, 99);
      const overhead = phase.result.probe.serverCpuPerCall / pacedProbe.serverCpuPerCall - 1;
      profileLines.push(
        `  detokenize paced, profiled (after the measured phases and not in their figures; V8 sampling profiler every 1 ms in the server): ` +
          `${(phase.result.calls / PACED_SECONDS).toFixed(0)}/s served, p50 ${percentileOfSorted(phase.result.paced, 50).toFixed(2)} ms, ` +
          `p99 ${p99.toFixed(2)} ms (${p99 >= pacedP99 ? '+' : ''}${(p99 - pacedP99).toFixed(2)} ms on the measured p99); ` +
          `server CPU per call ${overhead >= 0 ? '+' : ''}${(overhead * 100).toFixed(0)}% on the measured paced phase ` +
          `(the profiler's cost, with the run-to-run noise)`,
        `    where the time went: ${phase.result.probe.where}`,
        ...phase.report.map((l) => `    ${l}`),
      );
    }

    // 3. The limit, in this process, after the server has stopped competing for the cores.
    const exited = new Promise((r) => child.once('exit', r));
    child.send('stop');
    await exited;
    server = undefined;
    const limit = plainLoop(3);

    const p50 = percentileOfSorted(latencies, 50);
    const p99 = percentileOfSorted(latencies, 99);
    const verdict = (ok: boolean) => (ok ? 'target met' : 'TARGET MISSED');
    console.log(
      `tokenizer (mTLS + PostgreSQL + audit) vs plain in-process AES-256-GCM loop; ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (figures depend on what else the machine runs)`,
    );
    console.log(
      `  batch tokenize:   ${fieldsPerS.toFixed(0)} fields/s = ${(fieldsPerS / TARGET_FIELDS_PER_S).toFixed(2)}x the target  | limit ${limit.fieldsPerS.toFixed(0)} fields/s  | ratio to the limit ${(fieldsPerS / limit.fieldsPerS).toFixed(3)}  | target >= ${TARGET_FIELDS_PER_S}: ${verdict(fieldsPerS >= TARGET_FIELDS_PER_S)}`,
    );
    for (const line of tokenizeProfileLines) console.log(line);
    console.log(
      `  detokenize x${DETOKENIZE_CALLERS} back to back (saturation, context):  p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${detokenized} calls, ${saturatedPerS.toFixed(0)}/s; the p99 is queueing)  | limit p50 ${(limit.p50 * 1000).toFixed(1)} µs, p99 ${(limit.p99 * 1000).toFixed(1)} µs`,
    );
    console.log(`    where the time went: ${saturated.where}`);
    console.log(
      `  detokenize x${DETOKENIZE_CALLERS} paced at half the saturated throughput (${(pacedPerCaller * DETOKENIZE_CALLERS).toFixed(0)}/s offered, ${(pacedCalls / PACED_SECONDS).toFixed(0)}/s served): p50 ${percentileOfSorted(paced, 50).toFixed(2)} ms, p99 ${pacedP99.toFixed(2)} ms (from the due time) = ${(pacedP99 / TARGET_P99_MS).toFixed(2)}x the budget  | target p99 <= ${TARGET_P99_MS} ms: ${verdict(pacedP99 <= TARGET_P99_MS)}`,
    );
    console.log(
      `    where the time went: ${pacedProbe.where}\n    the load generator sent calls late by p50 ${percentileOfSorted(sentLate, 50).toFixed(0)} ms, p99 ${percentileOfSorted(sentLate, 99).toFixed(0)} ms (included in the figure above)`,
    );
    for (const line of profileLines) console.log(line);
    console.log(
      `  key-provider calls (generate + unwrap + rewrap, from start): ${after.keyCalls} for ${values} values = ${callsPer10k.toFixed(2)} per 10,000 values = ${(callsPer10k / TARGET_CALLS_PER_10K).toFixed(2)}x the budget  | target <= ${TARGET_CALLS_PER_10K}: ${verdict(callsPer10k <= TARGET_CALLS_PER_10K)}`,
    );
  } finally {
    for (const a of agents) a.destroy();
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server?.child.once('exit', r));
    }
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
