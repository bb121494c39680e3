import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shop/shared/test-harness';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import { type AdminDeps, type AppConfig, buildApp } from '../src/app.js';
import type { Role } from '../src/auth/access.js';
import type { RefundGateway } from '../src/payments/refund-gateway.js';
import { MemorySessionStore, type SessionStore } from '../src/sessions/session-store.js';
import { issueStaffCertificate } from '../src/staff/staff-certificates.js';
import { loadStaffTls } from '../src/tls/server-tls.js';
import { type TokenizerClient, TokenizerUnavailableError } from '../src/tokenizer/tokenizer-client.js';
import { createShopDatabase, type ShopDatabase } from './support/database.js';
import { createTestPki, type TestPki } from './support/pki.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ClientCert {
  cert: string | Buffer;
  key: string | Buffer;
}

export const TEST_CONFIG: AppConfig = {
  LOG_LEVEL: 'warn',
  ADMIN_SESSION_IDLE_MINUTES: 15,
  ADMIN_SESSION_ABSOLUTE_MINUTES: 480,
  ADMIN_INACTIVE_DISABLE_DAYS: 90,
  ADMIN_REFUND_APPROVAL_THRESHOLD_MINOR: 10_000,
  ADMIN_APPROVAL_TTL_MINUTES: 60,
  ADMIN_WEBAUTHN_RP_ID: 'localhost',
  // Set to the harness's own port by startPortal.
  ADMIN_WEBAUTHN_ORIGINS: 'https://localhost:3443',
};

/** Stand-ins for tests that do not reach the tokenizer or Stripe: both unreachable. */
const unreachableTokenizer: TokenizerClient = {
  masked: async () => {
    throw new TokenizerUnavailableError('not in this test');
  },
  reveal: async () => {
    throw new TokenizerUnavailableError('not in this test');
  },
  blindIndex: async () => {
    throw new TokenizerUnavailableError('not in this test');
  },
};
const unreachableStripe: RefundGateway = { refund: async () => ({ outcome: 'unknown' }) };

/** A clock the tests move, shared by sessions, codes and lockouts. */
export class TestClock {
  constructor(public ms = Date.now()) {}
  now = () => this.ms;
  advance(ms: number) {
    this.ms += ms;
  }
}

export interface PortalHarness {
  app: FastifyInstance;
  port: number;
  pki: TestPki;
  db: ShopDatabase;
  clock: TestClock;
  dir: string;
  serverCa: Buffer;
  /** Issues and registers a certificate for a staff member, with roles granted directly (test set-up). */
  addStaff(handle: string, roles?: Role[]): Promise<StaffClient>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sessions?: SessionStore;
  deps?: Partial<AdminDeps>;
  config?: Partial<AppConfig>;
}

/** A portal on a spare loopback port behind the real staff mTLS handshake, with a fresh database. */
export async function startPortal(options: HarnessOptions = {}): Promise<PortalHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-portal-'));
  const pki = await createTestPki(dir);
  const db = await createShopDatabase();
  const clock = new TestClock();
  // Chosen before the app is built: WebAuthn checks the origin, which carries the port.
  const listenPort = await freePort();
  const app = await buildApp(
    { ...TEST_CONFIG, ADMIN_WEBAUTHN_ORIGINS: `https://localhost:${listenPort}`, ...options.config },
    {
      https: await loadStaffTls(pki.serverTlsFiles),
      db: db.runtime,
      sessions: options.sessions ?? new MemorySessionStore(clock.now),
      totpKey: randomBytes(32),
      now: clock.now,
      tokenizer: unreachableTokenizer,
      refunds: unreachableStripe,
      ...options.deps,
    },
  );
  await app.listen({ host: '127.0.0.1', port: listenPort });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('portal did not listen on a port');
  const serverCa = await readFile(pki.internalCa.caFile);
  const clients: StaffClient[] = [];
  const harness: PortalHarness = {
    app,
    port: address.port,
    pki,
    db,
    clock,
    dir,
    serverCa,
    async addStaff(handle, roles = []) {
      await issueStaffCertificate(pki.staffCa, db.owner, { handle, displayName: `Staff ${handle}` });
      for (const role of roles) {
        await db.owner.query(
          `INSERT INTO admin.staff_roles (staff_id, role) SELECT id, $2 FROM admin.staff WHERE handle = $1`,
          [handle, role],
        );
      }
      const client = new StaffClient(harness, handle, await clientCertOf(pki.staffCa, handle));
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.agent.destroy();
      await app.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A staff member's browser: their certificate, a cookie jar, and the CSRF token of the last page. */
export class StaffClient {
  readonly agent: https.Agent;
  cookies = new Map<string, string>();
  csrf: string | undefined;
  totpSecret: string | undefined;

  constructor(
    private readonly h: PortalHarness,
    readonly handle: string,
    cert: ClientCert,
  ) {
    this.agent = new https.Agent({ keepAlive: true, ca: h.serverCa, ...cert });
  }

  async get(path: string): Promise<Reply> {
    return this.send('GET', path);
  }

  /** Posts a form; the CSRF token of the last page is added unless the test sets `_csrf` itself. */
  async post(path: string, form: Record<string, string> = {}, opts: { csrf?: boolean } = {}): Promise<Reply> {
    const fields = opts.csrf === false || '_csrf' in form ? form : { _csrf: this.csrf ?? '', ...form };
    return this.send('POST', path, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
  }

  async send(method: string, path: string, body?: string, contentType?: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (contentType) headers['content-type'] = contentType;
    const res = await request(this.h.port, this.agent, method, path, { body, headers });
    for (const line of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (!name) continue;
      const v = value.join('=');
      if (v === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, v);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
    return res;
  }

  code(offsetSteps = 0): Promise<string> {
    if (!this.totpSecret) throw new Error(`${this.handle} has not enrolled`);
    return generate({ secret: this.totpSecret, epoch: Math.floor(this.h.clock.ms / 1000) + offsetSteps * 30 });
  }

  /** Enrols TOTP (first login) and ends with a full session. */
  async enrol(): Promise<Reply> {
    const page = await this.get('/enrol/totp');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)?.[1];
    if (!secret) throw new Error(`no enrolment page for ${this.handle}: ${page.status} ${page.body.slice(0, 300)}`);
    this.totpSecret = secret;
    return this.afterLogin(await this.post('/enrol/totp', { code: await this.code() }));
  }

  /** A later login: a fresh code (the clock moves one step so the last code is not replayed). */
  async login(): Promise<Reply> {
    this.h.clock.advance(30_000);
    await this.get('/login');
    return this.afterLogin(await this.post('/login', { code: await this.code() }));
  }

  /** The session (and its CSRF token) is new after the second factor: load a page to hold the token. */
  private async afterLogin(res: Reply): Promise<Reply> {
    if (res.status === 303) await this.get('/');
    return res;
  }
}

export async function clientCertOf(
  ca: { certFile(n: string): string; keyFile(n: string): string },
  name: string,
): Promise<ClientCert> {
  return { cert: await readFile(ca.certFile(name)), key: await readFile(ca.keyFile(name)) };
}

/** One HTTPS request over a real TLS connection; `agent` options choose the client certificate. */
export function request(
  port: number,
  agent: https.Agent,
  method: string,
  path: string,
  opts: { body?: string | undefined; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export { createTestPki };
