/**
 * The vault-tokenizer for bench/tokenizer.bench.ts, in a child process so the load generator
 * and the server each get a core. Same buildApp and mTLS options as src/server.ts; the key
 * provider is wrapped in a counter so the bench can report provider calls per 10,000 values.
 * IPC: sends { port } when listening; answers 'counts' with { keyCalls }; exits on 'stop'.
 */
import { DevCertificateAuthority, mtlsServerOptions } from '@shop/shared/mtls';
import { freePort } from '@shop/shared/test-harness';
import { buildApp } from '../../vault-tokenizer/src/app.js';
import { migrate, openRuntimeDatabase } from '../../vault-tokenizer/src/db/database.js';
import { CountingKeyProvider, LocalKeyProvider } from '../../vault-tokenizer/src/keys/index.js';
import { loadPolicy } from '../../vault-tokenizer/src/policy/policy.js';

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
const app = await buildApp(
  {
    database: openRuntimeDatabase({ url: BENCH_DB_URL, runtimeRole: 'tokenizer_runtime', max: 10 }),
    provider,
    policy: await loadPolicy(BENCH_POLICY_FILE),
    keyCache: { ttlMs: 300_000, maxUses: 1_000_000, maxEntries: 10_000 },
  },
  { https: mtlsServerOptions(await ca.material('vault-tokenizer')), logLevel: 'info' },
);
const port = await freePort();
await app.listen({ port, host: '127.0.0.1' });
process.send?.({ port });
process.on('message', async (m) => {
  if (m === 'counts') process.send?.({ keyCalls: provider.keyCalls(), calls: provider.calls });
  if (m === 'stop') {
    await app.close();
    process.exit(0);
  }
});
