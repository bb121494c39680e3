/**
 * The vault-tokenizer for bench/tokenizer.bench.ts, in a child process so the load generator
 * and the server each get a core. Same buildApp and mTLS options as src/server.ts; the key
 * provider is wrapped in a counter so the bench can report provider calls per 10,000 values.
 * IPC: sends { port } when listening; answers 'counts' with { keyCalls }; 'mark' starts a
 * phase and 'phase' answers what the server saw since the mark (CPU time, requests, the time
 * each request spent from its parsed headers to its last byte written, and the event loop's
 * delay), so the bench can tell server time from queueing and from the rest of the machine;
 * 'profile-start' and 'profile-stop' as profile-on-request.ts answers them; exits on 'stop'.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DevCertificateAuthority, mtlsServerOptions } from '@shop/shared/mtls';
import { freePort } from '@shop/shared/test-harness';
import { buildApp } from '../../vault-tokenizer/src/app.js';
import { migrate, openRuntimeDatabase } from '../../vault-tokenizer/src/db/database.js';
import { CountingKeyProvider, LocalKeyProvider } from '../../vault-tokenizer/src/keys/index.js';
import { loadPolicy } from '../../vault-tokenizer/src/policy/policy.js';
import { answerProfileRequests } from './profile-on-request.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (bench/tokenizer.bench.ts sets it)`);
  return value;
}
const BENCH_DB_URL = env('BENCH_DB_URL');
const BENCH_CA_DIR = env('BENCH_CA_DIR');
const BENCH_KEK_FILE = env('BENCH_KEK_FILE');
const BENCH_POLICY_FILE = env('BENCH_POLICY_FILE');

const ca = new DevCertificateAuthority(BENCH_CA_DIR);
await migrate(BENCH_DB_URL, 'tokenizer_runtime');
const provider = new CountingKeyProvider(new LocalKeyProvider({ file: BENCH_KEK_FILE }));
const database = openRuntimeDatabase({ url: BENCH_DB_URL, runtimeRole: 'tokenizer_runtime', max: 10 });
// Time of each named statement (the token lookup, the audit insert, ...) from the call to its
// result, a connection wait included: where a request's time goes once it leaves the CPU.
let statements = new Map<string, number[]>();
const query = database.pool.query.bind(database.pool) as (...args: unknown[]) => Promise<unknown>;
(database.pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
  const name = (args[0] as { name?: string } | string | undefined) ?? '';
  const key = typeof name === 'object' && name.name ? name.name : 'unnamed';
  const started = process.hrtime.bigint();
  const settle = () => {
    const list = statements.get(key) ?? [];
    list.push(Number(process.hrtime.bigint() - started) / 1e6);
    statements.set(key, list);
  };
  const result = query(...args);
  void result.then(settle, settle);
  return result;
};
const app = await buildApp(
  {
    database,
    provider,
    policy: await loadPolicy(BENCH_POLICY_FILE),
    keyCache: { ttlMs: 300_000, maxUses: 1_000_000, maxEntries: 10_000 },
  },
  { https: mtlsServerOptions(await ca.material('vault-tokenizer')), logLevel: 'info' },
);
// What the server itself spends on each request (headers parsed to response finished), and how
// late its event loop runs, per phase of the bench.
let handled: number[] = [];
let cpuAtMark = process.cpuUsage();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
app.server.on('request', (_req, res) => {
  const started = process.hrtime.bigint();
  res.once('finish', () => handled.push(Number(process.hrtime.bigint() - started) / 1e6));
});
const port = await freePort();
await app.listen({ port, host: '127.0.0.1' });
process.send?.({ port });
answerProfileRequests();
process.on('message', async (m) => {
  if (m === 'counts') process.send?.({ keyCalls: provider.keyCalls(), calls: provider.calls });
  if (m === 'mark') {
    handled = [];
    statements = new Map();
    cpuAtMark = process.cpuUsage();
    loopDelay.reset();
    process.send?.({ marked: true });
  }
  if (m === 'phase') {
    const cpu = process.cpuUsage(cpuAtMark);
    process.send?.({
      cpuMicros: cpu.user + cpu.system,
      handled,
      statements: Object.fromEntries(statements),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
    });
  }
  if (m === 'stop') {
    await app.close();
    process.exit(0);
  }
});
