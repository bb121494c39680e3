import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shop/shared/test-harness';
import pg from 'pg';
import { launchChromium, newContext } from '../../storefront/test/support/browser.js';
import { logOutAndIn, newShopper, signUp } from '../../storefront/test/support/shopper.js';

// `npm start` as a person runs it (node scripts/start.mjs), on spare ports with every data
// folder in a temporary directory: the storefront, the api, the vault-tokenizer and the
// order-worker come up on loopback with nothing configured, and SIGTERM takes all of it down.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 120_000;

let dir: string;
let child: ChildProcess;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let base: string;
let tokenizerPort: number;
let adminPort: number;
let pgPort: number;
let superuserPassword: string;

function certFile(name: string, file: 'cert.pem' | 'key.pem'): string {
  return join(dir, 'certs', name, file);
}

/** The embedded cluster's superuser (its password file sits next to the data folder). */
async function asSuperuser<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: pgPort,
    user: 'postgres',
    password: superuserPassword,
    database,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every process below the start script (postgres and its backends, the tokenizer). */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [p, pp] of rows) {
      if (pp === parent) {
        found.push(p);
        queue.push(p);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A session cookie jar of one: the api sets only `__Host-shop_sid`. */
class Browserless {
  private cookie: string | undefined;

  async call(method: string, path: string, opts: { body?: unknown; csrf?: string } = {}) {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    for (const setCookie of res.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0] as string;
      if (/^__Host-shop_sid=./.test(pair)) this.cookie = pair;
      else if (pair.startsWith('__Host-shop_sid=')) this.cookie = undefined;
    }
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async csrf(): Promise<string> {
    const res = await this.call('GET', '/api/csrf-token');
    assert.equal(res.status, 200);
    return res.body.token as string;
  }
}

function tokenizerGet(path: string, agent: https.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(`https://127.0.0.1:${tokenizerPort}${path}`, { agent, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

before(
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    // Started as root, PostgreSQL runs as the postgres user, which must reach its data folder.
    chmodSync(dir, 0o755);
    const port = await freePort();
    tokenizerPort = await freePort();
    adminPort = await freePort();
    pgPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        PORT: String(port),
        TOKENIZER_PORT: String(tokenizerPort),
        EMBEDDED_PG_PORT: String(pgPort),
        EMBEDDED_PG_DIR: join(dir, 'postgres', 'data'),
        MAIL_DIR: join(dir, 'mail-outbox'),
        TOKENIZER_CERTS_DIR: join(dir, 'certs'),
        TOKENIZER_LOCAL_KEK_FILE: join(dir, 'tokenizer-local-kek.json'),
        ADMIN_PORT: String(adminPort),
        ADMIN_STAFF_CA_DIR: join(dir, 'staff-ca'),
        ADMIN_KEYS_DIR: join(dir, 'keys'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c) => {
      output += c;
    });
    child.stderr?.on('data', (c) => {
      output += c;
    });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!output.includes('press Ctrl+C to stop')) {
      if (child.exitCode !== null) assert.fail(`npm start exited during start:\n${output}`);
      if (Date.now() > deadline) assert.fail(`npm start did not come up in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    superuserPassword = readFileSync(join(dir, 'postgres', 'embedded-postgres.secret'), 'utf8').trim();
  },
  { timeout: START_TIMEOUT_MS + 10_000 },
);

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const left = descendants(child.pid as number);
    child.kill('SIGKILL');
    for (const pid of left) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start (scripts/start.mjs)', () => {
  it('starts the admin portal on its own port with a first admin certificate whose printed PKCS#12 file and import password complete the staff mTLS handshake (issue 10, item 9)', async () => {
    assert.ok(output.includes(`admin portal  https://127.0.0.1:${adminPort}/`), output);
    const p12 = /first admin certificate \(PKCS#12\): (\S+)/.exec(output)?.[1];
    const passwordFile = /one-time import password: +(\S+)/.exec(output)?.[1];
    assert.equal(p12, join(dir, 'staff-ca', 'admin', 'staff.p12'));
    assert.ok(passwordFile);
    assert.ok(!output.includes(readFileSync(passwordFile, 'utf8').trim()), 'the import password itself is not printed');
    const get = (agent: https.Agent) =>
      new Promise<number>((resolve, reject) => {
        const req = https.get(`https://127.0.0.1:${adminPort}/login`, { agent, timeout: 5_000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
    const ca = readFileSync(join(dir, 'certs', 'ca.pem'));
    const staff = new https.Agent({
      ca,
      pfx: readFileSync(p12),
      passphrase: readFileSync(passwordFile, 'utf8').trim(),
    });
    // Enrolment first: /login sends a new staff member to /enrol/totp.
    assert.equal(await get(staff), 303);
    staff.destroy();
    // The shop's own service certificate is no staff certificate: refused at the handshake.
    const service = new https.Agent({
      ca,
      cert: readFileSync(certFile('api', 'cert.pem')),
      key: readFileSync(certFile('api', 'key.pem')),
    });
    await assert.rejects(get(service));
    service.destroy();
  });

  it('prints every URL and the defaults in use, and no connection string with a password', () => {
    for (const line of [
      `shop          ${base}/`,
      `api docs      ${base}/api/docs/json`,
      `health        ${base}/healthz  ${base}/readyz`,
      `tokenizer     https://127.0.0.1:${tokenizerPort}`,
      'order-worker  running (embedded mode)',
      'default: DATABASE_URL unset',
      'default: VAULT_ADDR unset: the tokenizer uses the local key provider (NOT FOR PRODUCTION)',
      'default: AMQP_URL unset',
      `default: SMTP_URL unset: mails are written as .eml files, not sent: .eml files in ${join(dir, 'mail-outbox')}`,
      `mail          .eml files in ${join(dir, 'mail-outbox')}`,
    ]) {
      assert.ok(output.includes(line), `missing: ${line}`);
    }
    assert.doesNotMatch(output, /postgres(ql)?:\/\/[^\s/:@]+:[^\s/@]+@/);
    assert.ok(!output.includes(superuserPassword), 'the superuser password was printed');
  });

  it("serves the storefront's index.html at / with the CSP header", async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(await res.text(), readFileSync(join(ROOT, 'storefront', 'dist', 'index.html'), 'utf8'));
  });

  it('serves the seeded catalogue and is ready', async () => {
    const seeded = Number(/catalogue seeded \((\d+) products\)/.exec(output)?.[1]);
    assert.ok(seeded > 0, 'the catalogue was seeded');
    const products = await fetch(`${base}/api/products?limit=5`);
    assert.equal(products.status, 200);
    const page = (await products.json()) as { items: { id: string; priceMinor: number }[]; total: number };
    assert.equal(page.total, seeded);
    assert.equal(page.items.length, 5);
    assert.ok(page.items.every((p) => Number.isInteger(p.priceMinor)));
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('signs up, logs in and answers /api/me over HTTP with the CSRF token, the personal data going to the tokenizer over mTLS', async () => {
    const shopper = newShopper();
    const browser = new Browserless();
    const refused = await browser.call('POST', '/api/auth/signup', { body: shopper });
    assert.equal(refused.status, 403, 'a state-changing request without the CSRF token is refused');

    const signup = await browser.call('POST', '/api/auth/signup', { body: shopper, csrf: await browser.csrf() });
    assert.equal(signup.status, 201);
    const me = await browser.call('GET', '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.email, shopper.email);
    assert.equal((await browser.call('POST', '/api/auth/logout', { csrf: await browser.csrf() })).status, 204);
    assert.equal((await browser.call('GET', '/api/me')).status, 401);

    const login = await browser.call('POST', '/api/auth/login', {
      body: { email: shopper.email, password: shopper.password },
      csrf: await browser.csrf(),
    });
    assert.equal(login.status, 200);
    const again = await browser.call('GET', '/api/me');
    assert.equal(again.status, 200);
    assert.equal(again.body.id, signup.body.id);

    // The tokenizer audited the api's calls (caller = the api's certificate name).
    const audited = await asSuperuser('tokenizer', (c) =>
      c.query<{ operation: string }>(
        "select distinct operation from audit_events where caller = 'api' and outcome = 'ok' order by operation",
      ),
    );
    const operations = audited.rows.map((r) => r.operation);
    assert.ok(operations.includes('tokenize'), `tokenize audited (${operations.join(', ')})`);
    assert.ok(operations.includes('blind_index'), `blind_index audited (${operations.join(', ')})`);
    assert.ok(!output.includes(shopper.email), 'the email was logged');
  });

  it('delivers a mail the api requests as an .eml file to the address given at signup, the worker reading it with its own certificate', async () => {
    const shopper = newShopper();
    const browser = new Browserless();
    const signup = await browser.call('POST', '/api/auth/signup', { body: shopper, csrf: await browser.csrf() });
    assert.equal(signup.status, 201);
    const userId = signup.body.id as string;
    // A request as writeMailRequest writes it (the routes that write them are the api's own tests).
    const requestId = crypto.randomUUID();
    await asSuperuser('shop', async (c) => {
      await c.query('insert into outbox (message_id, topic, payload) values ($1, $2, $3)', [
        requestId,
        'mail.requested',
        JSON.stringify({ requestId, template: 'password_changed', userId }),
      ]);
      await c.query("select pg_notify('shop_outbox', '')");
    });
    const file = join(dir, 'mail-outbox', `${requestId}.eml`);
    const deadline = Date.now() + 30_000;
    while (!existsSync(file)) {
      if (Date.now() > deadline) assert.fail(`no .eml file for the request:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const eml = readFileSync(file, 'utf8');
    assert.match(eml, new RegExp(`^To: ${shopper.email.replace(/[.+]/g, '\\$&')}$`, 'mi'));
    assert.match(eml, /^Subject: Your password was changed$/m);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'only its owner reads a file holding an address');
    // The worker read the address as itself, audited: the api never can.
    const audited = await asSuperuser('tokenizer', (c) =>
      c.query<{ n: number }>(
        "select count(*)::int as n from audit_events where caller = 'order-worker' and operation = 'detokenize' and outcome = 'ok'",
      ),
    );
    assert.ok((audited.rows[0]?.n ?? 0) >= 1);
    assert.ok(!output.includes(shopper.email), 'the address was logged');
  });

  it('lets a person sign up and log in with Chromium on plain http://127.0.0.1 (the __Host- cookie counts as secure on loopback)', async (t) => {
    const browser = await launchChromium(t);
    const context = await newContext(browser);
    const page = await context.newPage();
    const shopper = newShopper();
    await page.goto(`${base}/signup`);
    await signUp(page, shopper);
    await logOutAndIn(page, shopper);
    const [session] = (await context.cookies(base)).filter((c) => c.name === '__Host-shop_sid');
    assert.ok(session, 'Chromium keeps the session cookie');
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
  });

  it('the tokenizer refuses a client without a certificate and accepts the api with its own', async () => {
    const ca = readFileSync(join(dir, 'certs', 'ca.pem'));
    const noCert = new https.Agent({ ca, keepAlive: false });
    await assert.rejects(tokenizerGet('/healthz', noCert));
    noCert.destroy();
    const api = new https.Agent({
      ca,
      cert: readFileSync(certFile('api', 'cert.pem')),
      key: readFileSync(certFile('api', 'key.pem')),
      keepAlive: false,
    });
    assert.equal(await tokenizerGet('/readyz', api), 200);
    api.destroy();
  });

  it('gives every service its own role: the shop and the tokenizer cannot connect to each other’s database', async () => {
    const rows = await asSuperuser('postgres', (c) =>
      c.query<{ role: string; db: string; ok: boolean }>(
        `select r.rolname as role, d.datname as db, has_database_privilege(r.rolname, d.datname, 'CONNECT') as ok
           from pg_roles r cross join pg_database d
          where r.rolname in ('shop_api', 'shop_order_worker', 'tokenizer_owner', 'tokenizer_runtime')
            and d.datname in ('shop', 'tokenizer')`,
      ),
    );
    const can = (role: string, db: string) => rows.rows.find((r) => r.role === role && r.db === db)?.ok;
    assert.equal(can('shop_api', 'shop'), true);
    assert.equal(can('shop_order_worker', 'shop'), true);
    assert.equal(can('tokenizer_runtime', 'tokenizer'), true);
    assert.equal(can('tokenizer_owner', 'tokenizer'), true);
    assert.equal(can('shop_api', 'tokenizer'), false);
    assert.equal(can('shop_order_worker', 'tokenizer'), false);
    assert.equal(can('tokenizer_runtime', 'shop'), false);
    assert.equal(can('tokenizer_owner', 'shop'), false);
    const sessions = await asSuperuser('postgres', (c) =>
      c.query<{ usename: string; datname: string }>(
        "select distinct usename, datname from pg_stat_activity where usename is not null and usename <> 'postgres'",
      ),
    );
    const who = sessions.rows.map((r) => `${r.usename}@${r.datname}`).sort();
    assert.ok(who.includes('shop_api@shop'), who.join(' '));
    assert.ok(who.includes('shop_order_worker@shop'), who.join(' '));
    assert.ok(who.includes('tokenizer_runtime@tokenizer'), who.join(' '));
    assert.ok(!who.includes('tokenizer_owner@tokenizer'), 'the tokenizer serves as its runtime role, not its owner');
  });

  it('stops everything on SIGTERM: exit code 0, no process left, PostgreSQL of that folder down', async () => {
    const pid = child.pid as number;
    const below = descendants(pid);
    const psArgs = () => execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' });
    assert.ok(psArgs().includes(join(dir, 'postgres', 'data')), 'PostgreSQL of the temp folder runs');
    assert.ok(below.length >= 2, 'postgres and the tokenizer run below the start script');
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, output.slice(-2000));
    assert.match(output, /\[start\] stopped/);
    for (let i = 0; i < 20 && below.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(below.filter(alive), [], 'no process of npm start is left');
    assert.ok(!psArgs().includes(join(dir, 'postgres', 'data')), 'no postgres of the temp folder is left');
    await assert.rejects(fetch(`${base}/healthz`));
  });
});
