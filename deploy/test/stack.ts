// The deployment test (issue 12; PCI DSS v4.0.1 1.2, 1.3, 1.4, 11.4.5, 2.2): builds the images,
// brings the whole compose.yaml up in a Docker engine (deploy/test/compose.images.yaml changes
// only where images come from), and checks from inside the running containers: the segmentation
// matrix, the hardening as running, the per-service users, the shopper through the gateway over
// TLS, a staff member through the VPN, and restarts of the stores. It tears everything down
// afterwards, also on failure, and stops a Docker engine it started itself (by its pid).
// Run: `npm run test:deploy` (root, Docker engine or dockerd installed).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { simpleParser } from 'mailparser';
import { parse } from 'yaml';
import { StripeDouble } from '../../api/test/support/stripe-double.js';
import { writeSecrets } from '../../scripts/secrets.js';
import {
  type Cell,
  expectedMatrix,
  internetSide,
  LISTENERS,
  loadComposeFile,
  longRunning,
  renderMatrix,
} from '../segmentation.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROJECT = 'hsdeploy';
const compose = loadComposeFile(new URL('compose.yaml', `file://${ROOT}`));
const work = mkdtempSync(join(tmpdir(), 'hsdeploy-'));
const projectDir = join(work, 'project');
const secretsDir = join(projectDir, '.secrets');
const r = randomBytes(12).toString('hex');
/** Test-mode keys of this run, for the api (compose secrets) and the Stripe double alike. */
const stripeKeys = {
  secretKey: `${'sk'}_test_${r}`,
  publishableKey: `pk_test_${r}`,
  webhookSecret: `${'whsec'}_${r}`,
};
let dockerd: ChildProcess | undefined;
let composeCmd: string[] = [];
let up = false;

function run(
  cmd: string,
  args: string[],
  opts: { input?: string; allowFail?: boolean; timeoutMs?: number; env?: Record<string, string> } = {},
) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 600_000,
  });
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`.slice(-6000));
  }
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}
const docker = (...args: string[]) => run('docker', args).out;
const dc = (...args: string[]) => {
  const [cmd, ...pre] = composeCmd as [string, ...string[]];
  return run(cmd, [
    ...pre,
    '-p',
    PROJECT,
    '--project-directory',
    projectDir,
    '-f',
    join(ROOT, 'compose.yaml'),
    '-f',
    join(ROOT, 'deploy/test/compose.images.yaml'),
    ...args,
  ]);
};
async function until<T>(
  what: string,
  deadlineMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
const log = (line: string) => console.log(`[deploy] ${line}`);

/** A Docker engine: the running one, or dockerd started here (and stopped at the end). */
async function engine(): Promise<void> {
  if (run('docker', ['info'], { allowFail: true }).code === 0) return;
  if (run('sh', ['-c', 'command -v dockerd'], { allowFail: true }).code !== 0) {
    throw new Error(
      'No Docker engine: `docker info` fails and dockerd is not installed. Fix: apt-get install docker.io docker-compose (then this test starts dockerd), or start your engine (.ci/run does both).',
    );
  }
  const out = openSync(join(work, 'dockerd.log'), 'a');
  dockerd = spawn('dockerd', ['--log-level=warn'], { stdio: ['ignore', out, out], detached: true });
  log(`started dockerd (pid ${dockerd.pid}), log ${join(work, 'dockerd.log')}`);
  await until('dockerd to answer', 60_000, () =>
    run('docker', ['info'], { allowFail: true }).code === 0 ? true : undefined,
  );
}

function composeCommand(): string[] {
  if (run('docker', ['compose', 'version'], { allowFail: true }).code === 0) return ['docker', 'compose'];
  if (run('docker-compose', ['version'], { allowFail: true }).code === 0) return ['docker-compose'];
  throw new Error('No compose: install docker-compose (apt-get install docker-compose) or the compose v2 plugin');
}

/** Images: base images from Debian and npm, the project's, the VPN's and the stand-ins (each cached by Docker). */
async function images(): Promise<void> {
  const t = Date.now();
  run('bash', [join(ROOT, 'deploy/images/build-base-images.sh')]);
  const buildImage = (tag: string, context: string, args: string[] = []) =>
    docker('build', '-q', ...args.flatMap((a) => ['--build-arg', a]), '-t', tag, context);
  buildImage('hardened-shop/node:local', ROOT, ['NODE_IMAGE=hardened-shop/node:24']);
  buildImage('hardened-shop/vpn:local', join(ROOT, 'deploy/vpn'), ['BASE_IMAGE=hardened-shop/debian:bookworm']);
  for (const name of ['postgres', 'redis', 'rabbitmq', 'nginx']) {
    buildImage(`hardened-shop/test-${name}:local`, join(ROOT, 'deploy/test/images', name));
  }
  const vaultContext = join(work, 'vault-image');
  mkdirSync(vaultContext);
  await build({
    entryPoints: [join(ROOT, 'deploy/test/images/vault/vault-cli.ts')],
    outfile: join(vaultContext, 'vault.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  copyFileSync(join(ROOT, 'deploy/test/images/vault/Dockerfile'), join(vaultContext, 'Dockerfile'));
  buildImage('hardened-shop/test-vault:local', vaultContext);
  const internetContext = join(work, 'internet-image');
  mkdirSync(internetContext);
  for (const [entry, out] of [
    ['stripe-double-server.ts', 'stripe-double.mjs'],
    ['mail-relay-server.ts', 'mail-relay.mjs'],
  ] as const) {
    await build({
      entryPoints: [join(ROOT, 'deploy/test/images/internet', entry)],
      outfile: join(internetContext, out),
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
      // CommonJS dependencies (the stripe library, smtp-server) call require() for built-ins.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
  }
  copyFileSync(join(ROOT, 'deploy/test/images/internet/Dockerfile'), join(internetContext, 'Dockerfile'));
  buildImage('hardened-shop/test-internet:local', internetContext);
  log(`images ready in ${Math.round((Date.now() - t) / 1000)} s`);
}

/** The project folder compose runs in: the repository's files, and secrets of this run only. */
async function project(): Promise<void> {
  mkdirSync(projectDir);
  for (const d of ['gateway', 'deploy', 'vault']) symlinkSync(join(ROOT, d), join(projectDir, d));
  await writeSecrets({
    dir: secretsDir,
    staffHandle: 'first-admin',
    vpnEndpoint: 'vpn:51820',
    selfSignedGateway: true,
    smtpRelay: `${RELAY}:587`,
  });
  // What the operator supplies: Stripe test-mode keys (of this run: the Stripe double takes the
  // same), and the Vault token, written once Vault is initialised.
  for (const [f, v] of [
    ['stripe_secret_key', stripeKeys.secretKey],
    ['stripe_publishable_key', stripeKeys.publishableKey],
    ['stripe_webhook_secret', stripeKeys.webhookSecret],
    ['vault_setup_token', 'written after vault operator init'],
    // The relay stand-in takes any sender; STARTTLS is required by the worker and the relay.
    ['smtp_url', `smtp://${RELAY}:587`],
  ]) {
    writeFileSync(join(secretsDir, f as string), `${v}\n`, { mode: 0o644 });
  }
}

interface Inspect {
  Name: string;
  Id: string;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  Config: { User: string; Labels: Record<string, string> };
  HostConfig: {
    ReadonlyRootfs: boolean;
    Privileged: boolean;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    SecurityOpt: string[] | null;
    NetworkMode: string;
    PortBindings: Record<string, { HostPort: string }[]> | null;
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}
function containers(): Map<string, Inspect> {
  const ids = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`)
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return new Map();
  const all = JSON.parse(docker('inspect', ...ids)) as Inspect[];
  return new Map(all.map((c) => [c.Config.Labels['com.docker.compose.service'] as string, c]));
}
const vaultFlags = ['-address=https://127.0.0.1:8200', '-ca-cert=/run/secrets/internal_ca', '-tls-server-name=vault'];

/** up: Vault first, initialised and unsealed as an operator does (README), then the rest. */
async function bringUp(): Promise<void> {
  const t = Date.now();
  up = true;
  dc('up', '-d', '--no-build', 'vault');
  await until('the vault container', 60_000, () =>
    containers().get('vault')?.State.Status === 'running' ? true : undefined,
  );
  const init = await until('vault operator init', 60_000, () => {
    const r = dc(
      'exec',
      '-T',
      'vault',
      'vault',
      'operator',
      'init',
      ...vaultFlags,
      '-key-shares=1',
      '-key-threshold=1',
      '-format=json',
    );
    return r.code === 0 ? (JSON.parse(r.out) as { unseal_keys_hex: string[]; root_token: string }) : undefined;
  }).catch((err) => {
    throw new Error(`${err.message}\n${dc('logs', 'vault').out}`);
  });
  dc('exec', '-T', 'vault', 'vault', 'operator', 'unseal', ...vaultFlags, init.unseal_keys_hex[0] as string);
  writeFileSync(join(secretsDir, 'vault_setup_token'), `${init.root_token}\n`, { mode: 0o644 });
  dc('up', '-d', '--no-build');
  await healthy(300_000);
  log(`stack up in ${Math.round((Date.now() - t) / 1000)} s`);
}

/** Every long-running service healthy (or running, without a health check), every job exited 0. */
async function healthy(deadlineMs: number): Promise<void> {
  const running = new Set(longRunning(compose));
  await until('every service healthy and every job done', deadlineMs, () => {
    const now = containers();
    const pending: string[] = [];
    for (const name of Object.keys(compose.services)) {
      const c = now.get(name);
      if (!c) {
        pending.push(`${name}: no container`);
        continue;
      }
      if (!running.has(name)) {
        if (c.State.Status === 'exited' && c.State.ExitCode !== 0) {
          throw new Error(`job ${name} exited ${c.State.ExitCode}:\n${dc('logs', name).out.slice(-3000)}`);
        }
        if (c.State.Status !== 'exited') pending.push(`${name}: ${c.State.Status}`);
        continue;
      }
      const ok = c.State.Health ? c.State.Health.Status === 'healthy' : c.State.Status === 'running';
      if (!ok) pending.push(`${name}: ${c.State.Health?.Status ?? c.State.Status}`);
    }
    return pending.length === 0 ? true : undefined;
  }).catch((err) => {
    throw new Error(`${err.message}\n${dc('ps').out}\n${dc('logs', '--tail=20').out.slice(-8000)}`);
  });
}

/** TCP connects from inside a network namespace (a container's, or a network's as a new container). */
const PROBE = `
const net = require('net');
const targets = JSON.parse(process.argv[1]);
Promise.all(targets.map((t) => new Promise((resolve) => {
  const s = net.connect({ host: t.ip, port: t.port });
  const done = (open) => { s.destroy(); resolve({ ...t, open }); };
  s.setTimeout(2500, () => done(false));
  s.on('connect', () => done(true));
  s.on('error', () => done(false));
}))).then((r) => console.log(JSON.stringify(r)));
`;
interface Target {
  to: string;
  port: number;
  network: string;
  ip: string;
}
function probe(networkArg: string, targets: Target[]): (Target & { open: boolean })[] {
  const out = docker(
    'run',
    '--rm',
    '--network',
    networkArg,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges:true',
    '--user',
    '10001:10001',
    'hardened-shop/node:24',
    'node',
    '-e',
    PROBE,
    JSON.stringify(targets),
  );
  return JSON.parse(out.trim().split('\n').pop() as string);
}
function targetsFor(now: Map<string, Inspect>, exclude?: string): Target[] {
  const list: Target[] = [];
  for (const to of longRunning(compose)) {
    if (to === exclude) continue;
    const c = now.get(to) as Inspect;
    for (const [networkName, n] of Object.entries(c.NetworkSettings.Networks)) {
      for (const l of LISTENERS[to] ?? []) {
        list.push({ to, port: l.port, network: networkName.replace(`${PROJECT}_`, ''), ip: n.IPAddress });
      }
    }
  }
  return list;
}
function compare(cells: Cell[], results: (Target & { open: boolean })[], from: string): string[] {
  const diffs: string[] = [];
  for (const c of cells.filter((c) => c.from === from)) {
    const seen = results
      .filter((r) => r.to === c.to && r.port === c.port && r.open)
      .map((r) => r.network)
      .sort();
    if (seen.join(',') !== [...c.via].sort().join(',')) {
      diffs.push(
        `${from} -> ${c.to}:${c.port}: expected ${c.via.join(',') || 'refused'}, observed ${seen.join(',') || 'refused'}`,
      );
    }
  }
  return diffs;
}

/** The mail relay's name in this run: smtp_url and egress_allow name it (project()). */
const RELAY = 'smtp.relay.test';
const ADDRESS = {
  name: 'Journey Shopper',
  line1: '1 Test Street',
  city: 'Testtown',
  postalCode: '10115',
  country: 'DE',
};
const INTERNET_CONTAINERS = [`${PROJECT}-stripe`, `${PROJECT}-relay`];
const mailDir = join(work, 'relay-mail');
let internet: { ca: Buffer; stripeIp: string } | undefined;

/**
 * The internet as the stack reaches it: Stripe's API (the Stripe double) and the operator's
 * mail relay (an SMTP server), on compose's `outbound` network under their public names, where
 * the egress proxy resolves them, each with a certificate for its name from the test CA of the
 * internet's stand-ins, which the locally built node image trusts. Not compose services: in
 * production these are Stripe and the operator's relay, on the internet.
 */
function startInternet(): void {
  const caDir =
    process.env.TEST_INTERNET_CA_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hardened-shop', 'test-internet-ca');
  const tls = (name: string) => {
    const dir = join(work, `tls-${name}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
    run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'req.pem'),
    ]);
    run('openssl', [
      'x509',
      '-req',
      '-in',
      join(dir, 'req.pem'),
      '-CA',
      join(caDir, 'ca.pem'),
      '-CAkey',
      join(caDir, 'ca.key'),
      '-CAcreateserial',
      '-CAserial',
      join(dir, 'ca.srl'),
      '-days',
      '2',
      '-extfile',
      join(dir, 'ext.cnf'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    run('chmod', ['0644', join(dir, 'key.pem'), join(dir, 'cert.pem')]);
    return dir;
  };
  /** One stand-in on `outbound` under its public name, hardened like the stack's containers. */
  const standIn = (container: string, name: string, script: string, extra: string[]) =>
    docker(
      'run',
      '-d',
      '--name',
      container,
      '--network',
      `${PROJECT}_outbound`,
      '--network-alias',
      name,
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges:true',
      '--user',
      '10001:10001',
      '-v',
      `${tls(name)}:/tls:ro`,
      '-e',
      'TLS_CERT_FILE=/tls/cert.pem',
      '-e',
      'TLS_KEY_FILE=/tls/key.pem',
      ...extra,
      'hardened-shop/test-internet:local',
      'node',
      `/usr/local/lib/${script}`,
    );
  standIn(`${PROJECT}-stripe`, 'api.stripe.com', 'stripe-double.mjs', [
    '-e',
    `STRIPE_SECRET_KEY=${stripeKeys.secretKey}`,
    '-e',
    `STRIPE_PUBLISHABLE_KEY=${stripeKeys.publishableKey}`,
    '-e',
    `STRIPE_WEBHOOK_SECRET=${stripeKeys.webhookSecret}`,
  ]);
  mkdirSync(mailDir, { mode: 0o777 });
  run('chmod', ['0777', mailDir]);
  standIn(`${PROJECT}-relay`, RELAY, 'mail-relay.mjs', ['-v', `${mailDir}:/mail`, '-e', 'MAIL_DIR=/mail']);
  internet = {
    ca: readFileSync(join(caDir, 'ca.pem')),
    stripeIp: (JSON.parse(docker('inspect', `${PROJECT}-stripe`))[0] as Inspect).NetworkSettings.Networks[
      `${PROJECT}_outbound`
    ]?.IPAddress as string,
  };
}

/** The mails the relay received for one address, newest last. */
function mailsTo(address: string): string[] {
  return readdirSync(mailDir)
    .sort()
    .map((f) => readFileSync(join(mailDir, f), 'utf8'))
    .filter((m) => m.includes(address));
}

before(async () => {
  await engine();
  composeCmd = composeCommand();
  await project();
  await images();
  await bringUp();
  startInternet();
});

after(() => {
  // Off compose's network first: `down` cannot remove a network a container still uses.
  if (up) run('docker', ['rm', '-f', ...INTERNET_CONTAINERS], { allowFail: true });
  if (up) {
    const r = dc('down', '-v', '--remove-orphans', '-t', '10');
    if (r.code !== 0) console.error(r.err);
  }
  rmSync(work, { recursive: true, force: true });
  if (dockerd?.pid) {
    process.kill(dockerd.pid, 'SIGTERM');
    log(`stopped dockerd (pid ${dockerd.pid})`);
  }
});

describe('deployment: compose.yaml running in a Docker engine (issue 12)', () => {
  it('[C-020] segmentation matrix from inside every service (PCI DSS 1.2, 1.3, 1.4, 11.4.5): observed equals expected', () => {
    const now = containers();
    const cells = expectedMatrix(compose);
    const observed = new Map<string, boolean>();
    const diffs: string[] = [];
    for (const from of longRunning(compose)) {
      const c = now.get(from) as Inspect;
      const results = probe(`container:${c.Id}`, targetsFor(now, from));
      for (const cell of cells.filter((x) => x.from === from)) {
        observed.set(
          `${from}>${cell.to}:${cell.port}`,
          results.some((r) => r.to === cell.to && r.port === cell.port && r.open),
        );
      }
      diffs.push(...compare(cells, results, from));
    }
    const outside = internetSide(compose);
    for (const network of Object.keys(compose.networks).filter((n) => compose.networks[n]?.internal !== true)) {
      const from = `internet@${network}`;
      const results = probe(`${PROJECT}_${network}`, targetsFor(now));
      for (const cell of outside.filter((x) => x.from === from)) {
        observed.set(
          `${from}>${cell.to}:${cell.port}`,
          results.some((r) => r.to === cell.to && r.port === cell.port && r.open),
        );
      }
      diffs.push(...compare(outside, results, from));
    }
    console.log(
      `segmentation matrix (expected from compose.yaml, observed from inside the containers):\n${renderMatrix([...cells, ...outside], observed)}`,
    );
    assert.deepEqual(diffs, []);
  });

  it('[C-020] publishes only the gateway on 443/tcp and the VPN on 51820/udp to the host', () => {
    const published: string[] = [];
    for (const [name, c] of containers()) {
      for (const [port, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
        for (const b of bindings) published.push(`${name} ${b.HostPort}->${port}`);
      }
    }
    assert.deepEqual(published.sort(), ['gateway 443->8443/tcp', 'vpn 51820->51820/udp']);
  });

  it('[C-021] hardening as running (docker inspect, docker top): non-root, read-only root, no new privileges, capabilities dropped', () => {
    const problems: string[] = [];
    const CAPS: Record<string, string[]> = { vpn: ['NET_ADMIN', 'SETGID', 'SETUID'] };
    for (const name of longRunning(compose)) {
      const c = containers().get(name) as Inspect;
      const h = c.HostConfig;
      if (!h.ReadonlyRootfs) problems.push(`${name}: root filesystem writable`);
      if (h.Privileged) problems.push(`${name}: privileged`);
      if (!(h.SecurityOpt ?? []).includes('no-new-privileges:true')) problems.push(`${name}: new privileges allowed`);
      if (!(h.CapDrop ?? []).includes('ALL')) problems.push(`${name}: capabilities not dropped`);
      const added = [...(h.CapAdd ?? [])].map((x) => x.replace(/^CAP_/, '')).sort();
      if (added.join(',') !== (CAPS[name] ?? []).join(','))
        problems.push(`${name}: capabilities added ${added.join(',')}`);
      if (h.NetworkMode === 'host') problems.push(`${name}: host network`);
      const uid = c.Config.User.split(':')[0] ?? '';
      if (name !== 'vpn' && (uid === '' || uid === '0' || uid === 'root')) problems.push(`${name}: runs as root`);
      // The processes themselves (docker top), not only the configured user.
      const top = docker('top', c.Id, '-eo', 'pid,uid,args').split('\n').slice(1).filter(Boolean);
      for (const line of top) {
        const [, puid, ...args] = line.trim().split(/\s+/);
        const cmd = args.join(' ');
        const vpnSupervisor = name === 'vpn' && /^(\/bin\/sh \/usr\/local\/bin\/vpn-entrypoint|sleep 5)$/.test(cmd);
        if (puid === '0' && !vpnSupervisor) problems.push(`${name}: process as root: ${cmd}`);
      }
      if (name === 'vpn') {
        assert.ok(
          top.some((l) => /^\s*\d+\s+10002\s+wireguard-go/.test(l)),
          'wireguard-go runs as 10002',
        );
        assert.ok(
          top.some((l) => /^\s*\d+\s+10002\s+socat/.test(l)),
          'the portal forward runs as 10002',
        );
      }
    }
    assert.deepEqual(problems, []);
  });

  it('[C-040] the running Redis and RabbitMQ have the per-service users only (PCI DSS 7.2.2)', () => {
    const url = new URL(readFileSync(join(secretsDir, 'api_redis_url'), 'utf8').trim());
    const asApi = (...cmd: string[]) =>
      dc(
        'exec',
        '-T',
        'redis',
        'redis-cli',
        '--no-auth-warning',
        '--user',
        'api',
        '--pass',
        decodeURIComponent(url.password),
        ...cmd,
      ).out.trim();
    assert.equal(asApi('SET', 'shop:api:deploy-test', '1'), 'OK');
    assert.match(asApi('GET', 'admin-portal:sess:x'), /NOPERM/);
    assert.match(dc('exec', '-T', 'redis', 'redis-cli', 'GET', 'shop:api:deploy-test').out, /NOAUTH|NOPERM/);
    const users = dc('exec', '-T', 'rabbitmq', 'rabbitmqctl', '-q', 'list_users').out;
    assert.deepEqual(
      users
        .trim()
        .split('\n')
        .filter((l) => !/^user\s/.test(l))
        .map((l) => l.split(/\s+/)[0]),
      ['order-worker'],
      'no guest and no administrator on the broker',
    );
  });

  it('a shopper through the gateway over TLS: storefront, one HSTS header, no version, signup and login through the tokenizer', () => {
    const result = shopper();
    assert.equal(result.page, 200);
    assert.equal(result.hsts, 1, 'HSTS sent once');
    assert.doesNotMatch(result.server, /[0-9]/, 'no version in Server');
    assert.equal(result.products, 200);
    assert.equal(result.signup, 201, `signup: ${result.signupBody}`);
    assert.equal(result.login, 200);
    assert.equal(result.me, 200);
  });

  it('[C-010] [C-050] [C-052] a shopper signs up, verifies the mailed link, and buys through the gateway over TLS: checkout with Stripe through the egress proxy, a signed webhook, the order ready to ship', async () => {
    const tag = randomBytes(6).toString('hex');
    const productId = psql(
      `INSERT INTO products (sku, name, description, price_minor, currency, stock)
       VALUES ('journey-${tag}', 'Journey product', 'The deployment journey product', 1999, 'EUR', 10) RETURNING id`,
    );
    const shop = new Shopper();
    assert.equal((await shop.call('GET', '/api/products')).status, 200);
    const email = `buyer-${tag.replace(/[0-9]/g, (d) => String.fromCharCode(103 + Number(d)))}@example.com`;
    const signup = await shop.call('POST', '/api/auth/signup', {
      email,
      password: 'correct horse battery',
      name: 'Journey Shopper',
    });
    assert.equal(signup.status, 201, signup.text);
    assert.equal(
      (await shop.call('POST', '/api/auth/login', { email, password: 'correct horse battery' })).status,
      200,
    );
    // The verification mail: composed by the order-worker from a tokenizer read, sent through the
    // egress proxy to the relay over STARTTLS; its link is the only way to a verified address.
    const early = await shop.call('POST', '/api/checkout', { shippingAddress: ADDRESS });
    assert.equal(early.status, 403, 'no checkout before the address is verified');
    const raw = await until('the verification mail at the relay', 120_000, () => mailsTo(email)[0]);
    const mail = await simpleParser(raw);
    const link = /https:\/\/localhost\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1];
    assert.ok(link, `a verification link in the mail: ${mail.text}`);
    const verified = await shop.call('POST', '/api/auth/verify-email', { token: link });
    assert.equal(verified.status, 204, verified.text);
    const cart = await shop.call('POST', '/api/cart/items', { productId, quantity: 2 });
    assert.equal(cart.status, 200, cart.text);
    const checkout = await shop.call('POST', '/api/checkout', { shippingAddress: ADDRESS });
    assert.equal(checkout.status, 200, `checkout: ${checkout.text}`);
    const { orderId, clientSecret, publishableKey } = JSON.parse(checkout.text);
    assert.equal(publishableKey, stripeKeys.publishableKey);
    const intentId = String(clientSecret).split('_secret_')[0] as string;
    // The card is typed into Stripe's fields and confirmed with Stripe, never with the shop.
    const confirmed = await stripeCall(
      'POST',
      `/v1/payment_intents/${intentId}/confirm`,
      'payment_method=pm_card_visa',
    );
    assert.equal(confirmed.status, 200, confirmed.text);
    const intent = JSON.parse(confirmed.text);
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount, 3998, 'the amount the api computed (2 x 19.99 EUR)');
    assert.equal(intent.metadata.order_id, orderId);
    // Stripe's webhook reaches the shop through the gateway, signed with the endpoint secret.
    const signer = new StripeDouble({ webhookSecret: stripeKeys.webhookSecret });
    const { payload, signature } = signer.sign(signer.event('payment_intent.succeeded', intent));
    const forged = await shop.call('POST', '/api/webhooks/stripe', payload, {
      'stripe-signature': signature.replace(/v1=[0-9a-f]{8}/, 'v1=00000000'),
    });
    assert.equal(forged.status, 400, 'a forged signature is refused');
    const webhook = await shop.call('POST', '/api/webhooks/stripe', payload, { 'stripe-signature': signature });
    assert.equal(webhook.status, 200, webhook.text);
    const status = await until('the order ready to ship', 120_000, async () => {
      const order = await shop.call('GET', `/api/orders/${orderId}`);
      const s = order.status === 200 ? JSON.parse(order.text).status : undefined;
      return s === 'ready_to_ship' ? s : undefined;
    });
    assert.equal(status, 'ready_to_ship');
    assert.equal(Number(psql(`SELECT stock FROM products WHERE id = '${productId}'`)), 8, 'stock reserved once');
    const replay = await shop.call('POST', '/api/webhooks/stripe', payload, { 'stripe-signature': signature });
    assert.equal(replay.status, 200, 'a replayed event is acknowledged');
    assert.equal(Number(psql(`SELECT stock FROM products WHERE id = '${productId}'`)), 8, 'and applied once');
    const tunnels = dc('logs', 'egress-proxy').out;
    assert.match(tunnels, /api\.stripe\.com:443/, 'the api reached Stripe through the egress proxy');
    assert.match(tunnels, new RegExp(`${RELAY.replaceAll('.', '\\.')}:587`), 'the worker reached the relay through it');
  });

  it('[C-042] a staff member reaches the admin portal only through the VPN, with a staff certificate, enrols a second factor and logs in', async () => {
    const { checks, journey } = await staff();
    assert.match(checks, /^WITHOUT-VPN refused$/m, 'the portal is unreachable without the VPN');
    assert.match(checks, /^HANDSHAKE-NO-CERT refused$/m, 'no staff certificate, no TLS session');
    assert.equal(journey.error, undefined, `staff journey: ${journey.error}`);
    // Registered by admin-portal-migrate (compose.yaml), not enrolled yet: first the authenticator.
    assert.equal(journey.login, '303 /enrol/totp');
    assert.equal(journey.enrolPage, 200);
    assert.equal(journey.enrol, '303 /');
    assert.equal(journey.home, 200);
    assert.equal(journey.signedInAs, 'first-admin');
    assert.equal(journey.roles, 'admin');
  });

  it('the order-worker killed mid-stream loses and doubles no order (restart policy, idempotent consumer)', async () => {
    const N = 5000;
    const tag = randomBytes(6).toString('hex');
    // Paid orders as the webhook leaves them (order paid, its order.paid event in the outbox, one
    // transaction), written as the owner inside the database container: the api cannot take a
    // payment here (no route to Stripe, SECURITY.md).
    psql(`BEGIN;
      CREATE TEMP TABLE t AS SELECT gen_random_uuid() AS order_id FROM generate_series(1, ${N});
      INSERT INTO products (sku, name, description, price_minor, currency, stock)
        VALUES ('deploy-${tag}', 'Deploy test product', 'The deployment test product', 2500, 'EUR', 100000);
      INSERT INTO users (password_hash) VALUES ('deploy-${tag}');
      INSERT INTO orders (id, user_id, status, currency, total_minor, paid_at)
        SELECT order_id, (SELECT id FROM users WHERE password_hash = 'deploy-${tag}'), 'paid', 'EUR', 2500, now() FROM t;
      INSERT INTO order_items (order_id, product_id, name, unit_price_minor, quantity)
        SELECT order_id, (SELECT id FROM products WHERE sku = 'deploy-${tag}'), 'Deploy test product', 2500, 1 FROM t;
      INSERT INTO outbox (topic, payload)
        SELECT 'order.paid', jsonb_build_object('orderId', order_id, 'amountMinor', 2500, 'currency', 'EUR') FROM t;
      COMMIT;`);
    const ready = () =>
      Number(
        psql(
          `SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.password_hash = 'deploy-${tag}' AND o.status = 'ready_to_ship'`,
        ),
      );
    const before = await until('the worker to start on the orders', 120_000, () => {
      const n = ready();
      return n > 0 ? n : undefined;
    });
    // A crash, not a stop: SIGKILL to the node process itself (its host pid from docker top), so
    // the restart policy applies (`docker kill` counts as a manual stop and is not restarted).
    const worker = (containers().get('order-worker') as Inspect).Id;
    const node = docker('top', worker, '-eo', 'pid,args')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1] === 'node');
    assert.ok(node, 'the worker runs node');
    process.kill(Number(node[0]), 'SIGKILL');
    const atKill = ready();
    log(`order-worker killed with ${atKill} of ${N} orders fulfilled (${before} at the first look)`);
    assert.ok(atKill < N, 'the worker was killed mid-stream, not after the last order');
    await until('every order fulfilled after the restart', 300_000, () => (ready() === N ? true : undefined));
    const stock = Number(psql(`SELECT stock FROM products WHERE sku = 'deploy-${tag}'`));
    assert.equal(stock, 100000 - N, 'each order reserved its stock exactly once');
    const processed = Number(
      psql(
        `SELECT count(*) FROM processed_messages pm JOIN outbox ob ON ob.message_id = pm.message_id WHERE ob.payload->>'orderId' IN (SELECT o.id::text FROM orders o JOIN users u ON u.id = o.user_id WHERE u.password_hash = 'deploy-${tag}')`,
      ),
    );
    assert.equal(processed, N, 'one processed message per order: none lost, none doubled');
    assert.equal((containers().get('order-worker') as Inspect).State.Status, 'running', 'restarted by its policy');
  });

  it('restarts of postgres, redis and rabbitmq are survived without manual steps', async () => {
    for (const store of ['postgres', 'redis', 'rabbitmq']) {
      dc('restart', '-t', '10', store);
      await healthy(240_000);
      const result = shopper();
      assert.equal(result.products, 200, `after restarting ${store}`);
      assert.equal(result.signup, 201, `signup after restarting ${store}: ${result.signupBody}`);
    }
    const worker = containers().get('order-worker') as Inspect;
    assert.equal(worker.State.Status, 'running');
  });
});

/** A query as the owner inside the shop database container (test inspection only). */
function psql(sql: string): string {
  return dc(
    'exec',
    '-T',
    'postgres',
    'psql',
    '-U',
    'postgres',
    '-d',
    'shop',
    '-v',
    'ON_ERROR_STOP=1',
    '-qtA',
    '-c',
    sql,
  ).out.trim();
}

/** The shopper side: from this machine through the published port 443, as a browser would. */
function shopper(): {
  page: number;
  hsts: number;
  server: string;
  products: number;
  signup: number;
  signupBody: string;
  login: number;
  me: number;
} {
  const script = `
const base = 'https://localhost';
const jar = new Map();
const keep = (res) => { for (const c of res.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv.indexOf('='); jar.set(kv.slice(0, i), kv.slice(i + 1)); } };
const cookie = () => [...jar].map(([k, v]) => k + '=' + v).join('; ');
const call = async (path, init = {}) => { const res = await fetch(base + path, { ...init, headers: { ...(init.headers || {}), cookie: cookie(), origin: base } }); keep(res); return res; };
(async () => {
  const page = await call('/');
  const hsts = (page.headers.get('strict-transport-security') || '').split(',').filter(Boolean).length;
  const products = await call('/api/products');
  const { token } = await (await call('/api/csrf-token')).json();
  // Letters only: a long digit run (a timestamp) can pass the Luhn check, and the tokenizer refuses card-number-like values.
  const email = 'shopper-' + [...crypto.getRandomValues(new Uint8Array(16))].map((b) => String.fromCharCode(97 + (b % 26))).join('') + '@example.com';
  const body = (o) => ({ method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify(o) });
  const signup = await call('/api/auth/signup', body({ email, password: 'correct horse battery', name: 'Test Shopper' }));
  const signupBody = signup.status === 201 ? '' : await signup.text();
  const t2 = (await (await call('/api/csrf-token')).json()).token;
  const login = await call('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': t2 }, body: JSON.stringify({ email, password: 'correct horse battery' }) });
  const me = await call('/api/me');
  console.log(JSON.stringify({ page: page.status, hsts, server: page.headers.get('server') || '', products: products.status, signup: signup.status, signupBody, login: login.status, me: me.status }));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });
`;
  const out = run(process.execPath, ['-e', script], {
    env: { NODE_EXTRA_CA_CERTS: join(secretsDir, 'gateway-test-ca', 'ca.pem') },
  }).out;

  const parsed = JSON.parse(out.trim().split('\n').pop() as string);
  if (parsed.error) throw new Error(`shopper journey: ${parsed.error}`);
  return parsed;
}

interface HttpsAnswer {
  status: number;
  text: string;
}
function httpsCall(
  url: string,
  opts: { method: string; headers: Record<string, string>; body?: string; ca: Buffer; servername?: string },
): Promise<HttpsAnswer & { setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: opts.method, headers: opts.headers, ca: opts.ca, servername: opts.servername },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, setCookie: res.headers['set-cookie'] ?? [] }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${opts.method} ${url}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A shopper's browser on this machine: the published port 443, cookies, the CSRF token, the Origin. */
class Shopper {
  private jar = new Map<string, string>();
  private readonly ca = readFileSync(join(secretsDir, 'gateway-test-ca', 'ca.pem'));
  async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpsAnswer> {
    const csrf: Record<string, string> =
      method === 'POST' && !path.startsWith('/api/webhooks/')
        ? { 'x-csrf-token': JSON.parse((await this.call('GET', '/api/csrf-token')).text).token as string }
        : {};
    const res = await httpsCall(`https://localhost${path}`, {
      method,
      ca: this.ca,
      headers: {
        origin: 'https://localhost',
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...csrf,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const c of res.setCookie) {
      const [kv = ''] = c.split(';');
      const i = kv.indexOf('=');
      this.jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  }
}

/** A call to the Stripe double as Stripe.js would make it from the shopper's browser. */
function stripeCall(method: string, path: string, form: string): Promise<HttpsAnswer> {
  if (!internet) throw new Error('the Stripe double is not running');
  return httpsCall(`https://${internet.stripeIp}${path}`, {
    method,
    ca: internet.ca,
    servername: 'api.stripe.com',
    headers: {
      host: 'api.stripe.com',
      authorization: `Bearer ${stripeKeys.secretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form,
  });
}

/**
 * The staff side: a device on the VPN's published network with its WireGuard configuration
 * (a container holding the tunnel), and the staff member's journey through that tunnel (a
 * second container in the device's network namespace: deploy/test/staff-device.ts).
 */
async function staff(): Promise<{ checks: string; journey: Record<string, string | number> }> {
  const dir = join(work, 'staff-device');
  mkdirSync(dir, { recursive: true });
  for (const f of ['first-admin.crt', 'first-admin.key', 'first-admin-wg0.conf'])
    copyFileSync(join(secretsDir, 'staff', f), join(dir, f));
  copyFileSync(join(secretsDir, 'internal-ca.crt'), join(dir, 'internal-ca.crt'));
  await build({
    entryPoints: [join(ROOT, 'deploy/test/staff-device.ts')],
    outfile: join(dir, 'staff-device.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const portalIp = (containers().get('admin-portal') as Inspect).NetworkSettings.Networks[`${PROJECT}_admin`]
    ?.IPAddress;
  const script = `
s=/staff
timeout 5 socat -u OPEN:/dev/null TCP:${portalIp}:3443,connect-timeout=3 2>/dev/null && echo 'WITHOUT-VPN open' || echo 'WITHOUT-VPN refused'
mkdir -p /run/wireguard
WG_PROCESS_FOREGROUND=1 wireguard-go wg0 &
for i in $(seq 100); do [ -S /run/wireguard/wg0.sock ] && break; sleep 0.1; done
grep -v '^Address' $s/first-admin-wg0.conf > /tmp/wg.conf
wg setconf wg0 /tmp/wg.conf && ip address add 10.13.13.2/32 dev wg0 && ip link set wg0 up && ip route add 10.13.13.1/32 dev wg0
(printf 'GET / HTTP/1.1\r\nHost: 10.13.13.1\r\n\r\n'; sleep 3) | timeout 20 socat -t 3 - OPENSSL:10.13.13.1:3443,cafile=$s/internal-ca.crt,commonname=10.13.13.1 2>/dev/null | grep -q HTTP && echo 'HANDSHAKE-NO-CERT open' || echo 'HANDSHAKE-NO-CERT refused'
echo TUNNEL-READY
sleep 300
`;
  const device = docker(
    'run',
    '-d',
    '--rm',
    '--network',
    `${PROJECT}_staff-edge`,
    '--cap-drop',
    'ALL',
    '--cap-add',
    'NET_ADMIN',
    '--device',
    '/dev/net/tun',
    '-v',
    `${dir}:/staff:ro`,
    '--entrypoint',
    'sh',
    'hardened-shop/vpn:local',
    '-c',
    script,
  ).trim();
  try {
    const checks = await until('the staff device tunnel', 60_000, () => {
      const out = run('docker', ['logs', device], { allowFail: true }).out;
      return out.includes('TUNNEL-READY') ? out : undefined;
    });
    const out = docker(
      'run',
      '--rm',
      '--network',
      `container:${device}`,
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges:true',
      '--user',
      '10001:10001',
      '-v',
      `${dir}:/staff:ro`,
      'hardened-shop/node:24',
      'node',
      '/staff/staff-device.mjs',
      '/staff',
      'first-admin',
    );
    const journey = JSON.parse(out.trim().split('\n').pop() as string);
    return { checks, journey };
  } finally {
    run('docker', ['rm', '-f', device], { allowFail: true });
  }
}

// The override may say where images come from and nothing else.
const override = parse(readFileSync(join(ROOT, 'deploy/test/compose.images.yaml'), 'utf8')) as {
  services: Record<string, Record<string, unknown>>;
};
for (const [name, s] of Object.entries(override.services)) {
  assert.deepEqual(Object.keys(s), ['image'], `deploy/test/compose.images.yaml changes more than the image of ${name}`);
}
