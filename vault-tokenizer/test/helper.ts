import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DevCertificateAuthority, mtlsServerOptions } from '@shop/shared/mtls';
import { CuttableProxy, createTestDatabase, freePort, type TestDatabase } from '@shop/shared/test-harness';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { migrate, openRuntimeDatabase } from '../src/db/database.js';
import { CountingKeyProvider, type KeyProvider, LocalKeyProvider } from '../src/keys/index.js';
import { loadPolicy, type PolicyDocument, parsePolicy } from '../src/policy/policy.js';

export const POLICY_FILE = new URL('../policy/policy.json', import.meta.url).pathname;
export const RUNTIME_ROLE = 'tokenizer_runtime';
/** Callers with a certificate from the test CA: the three known services and one the policy does not list. */
export const CALLERS = ['api', 'order-worker', 'admin-portal', 'billing'] as const;

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, read field by field by assertions
  body: any;
}

export interface TokenizerHarness {
  app: FastifyInstance;
  port: number;
  dir: string;
  ca: DevCertificateAuthority;
  database: TestDatabase;
  /** Owner connection, for looking at what is stored and for attacks from inside the database. */
  owner: pg.Pool;
  provider: CountingKeyProvider;
  databaseProxy: CuttableProxy | undefined;
  call(caller: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  provider?: KeyProvider;
  logStream?: Writable;
  /** `now`: the key cache's clock, so lifetimes are tested without waiting on a loaded machine. */
  keyCache?: { ttlMs?: number; maxUses?: number; now?: () => number };
  /** Route the tokenizer's database connections through a proxy the test can cut. */
  databaseProxy?: boolean;
  /** A variant of the shipped policy, for a right no shipped caller has. */
  policy?: (shipped: PolicyDocument) => PolicyDocument;
  /** CRL polling interval and connection maximum age (as in production, but short for a test). */
  connectionGuard?: { crlCheckIntervalMs?: number; maxAgeMs?: number };
}

/**
 * A tokenizer on a spare port behind real mTLS, with a throwaway CA, a fresh database on
 * the shared PostgreSQL and a local key file in a temp folder. Close it in `after`.
 */
export async function startTokenizer(options: HarnessOptions = {}): Promise<TokenizerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'tokenizer-test-'));
  let database: TestDatabase | undefined;
  try {
    database = await createTestDatabase('tokenizer');
    return await startOn(dir, database, options);
  } catch (err) {
    // A failed start leaves nothing behind: no database, no key or certificate files.
    await database?.drop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startOn(dir: string, database: TestDatabase, options: HarnessOptions): Promise<TokenizerHarness> {
  const ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  await ca.issue('vault-tokenizer', { server: true });
  await Promise.all(CALLERS.map((c) => ca.issue(c)));
  await migrate(database.url, RUNTIME_ROLE);
  let databaseProxy: CuttableProxy | undefined;
  let runtimeUrl = database.url;
  if (options.databaseProxy) {
    const target = new URL(database.url);
    databaseProxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
    const proxyPort = await databaseProxy.start();
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxyPort);
    runtimeUrl = proxied.toString();
  }
  const provider = new CountingKeyProvider(options.provider ?? new LocalKeyProvider({ file: join(dir, 'kek.json') }));
  const app = await buildApp(
    {
      database: openRuntimeDatabase({ url: runtimeUrl, runtimeRole: RUNTIME_ROLE }),
      provider,
      policy: options.policy
        ? parsePolicy(options.policy(structuredClone((await loadPolicy(POLICY_FILE)).document)))
        : await loadPolicy(POLICY_FILE),
      keyCache: {
        ttlMs: options.keyCache?.ttlMs ?? 60_000,
        maxUses: options.keyCache?.maxUses ?? 1_000_000,
        maxEntries: 1000,
        ...(options.keyCache?.now ? { now: options.keyCache.now } : {}),
      },
    },
    {
      https: mtlsServerOptions(await ca.material('vault-tokenizer')),
      connectionGuard: {
        files: {
          caFile: ca.caFile,
          certFile: ca.certFile('vault-tokenizer'),
          keyFile: ca.keyFile('vault-tokenizer'),
          crlFile: ca.crlFile,
        },
        crlCheckIntervalMs: options.connectionGuard?.crlCheckIntervalMs ?? 60_000,
        maxAgeMs: options.connectionGuard?.maxAgeMs ?? 300_000,
      },
      logLevel: options.logStream ? 'info' : 'warn',
      logStream: options.logStream ?? warningsOnly(),
    },
  );
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  const owner = new pg.Pool({ connectionString: database.url, max: 2 });
  // pool.end() resolves before its idle clients' sockets have closed, and the drop that follows
  // terminates their backends (DROP ... WITH (FORCE)): that error of a client already let go
  // must not surface as an uncaught exception of whichever test made the connection.
  owner.on('error', () => {});
  const agents = new Map<string, https.Agent>();
  for (const caller of CALLERS) {
    const m = await ca.material(caller);
    agents.set(caller, new https.Agent({ keepAlive: true, ca: m.ca, cert: m.cert, key: m.key }));
  }

  return {
    app,
    port,
    dir,
    ca,
    database,
    owner,
    provider,
    databaseProxy,
    call(caller, method, path, body, headers = {}) {
      const agent = agents.get(caller);
      if (!agent) throw new Error(`no certificate issued for ${caller}`);
      return request(port, agent, method, path, body, headers);
    },
    async close() {
      for (const agent of agents.values()) agent.destroy();
      await app.close();
      await databaseProxy?.stop();
      await owner.end();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function request(
  port: number,
  agent: https.Agent,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        servername: 'vault-tokenizer',
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const SAMPLE = {
  email: 'Ada.Lovelace@Example.org',
  name: 'Ada Lovelace',
  phone: '+44 20 7946 0958',
  shipping_address: JSON.stringify({
    name: 'Ada Lovelace',
    line1: '12 St James Square',
    city: 'London',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
  }),
} as const;

/**
 * The default log destination of a test tokenizer: warnings reach the test output, while audit
 * lines (emitted at every level by design) are dropped unless a test passes its own stream.
 */
function warningsOnly(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      if (!text.includes('"stream":"audit"')) process.stdout.write(text);
      done();
    },
  });
}
