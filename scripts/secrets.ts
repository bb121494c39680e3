// `npm run secrets [-- --dir .secrets] [--staff <handle>] [--vpn-endpoint host:port]
//   [--shop-origin https://shop.example] [--mail-from shop@shop.example] [--smtp-relay host:port]
//   [--self-signed-gateway]`
//
// Writes every file that compose.yaml's `secrets:` names, for a first deployment: random
// passwords and the connection URLs that carry them, the Redis ACL and RabbitMQ definitions
// built from them, the internal CA with the service certificates, the staff CA with a first
// staff certificate, the portal's audit and TOTP keys, and the WireGuard keys of the VPN and of
// the first staff device, the shop's origin and mail sender, and the egress proxy's allowlist
// (Stripe's API and the mail relay). An existing file is never overwritten (run it again after deleting
// one to replace it). Prints what the operator must still supply.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DevCertificateAuthority } from '../shared/src/mtls.js';

/** The staff devices' addresses in the tunnel; the VPN itself is .1 (deploy/vpn/entrypoint.sh). */
export const VPN_SUBNET = '10.13.13';
/** Certificate lifetimes: service certificates are re-issued by running this again (delete them first). */
const SERVICE_DAYS = 365;
const STAFF_DAYS = 30;

export interface SecretsOptions {
  dir: string;
  staffHandle: string;
  vpnEndpoint: string;
  selfSignedGateway: boolean;
  /** The shop's public origin (links in mails); default https://localhost. */
  shopOrigin?: string;
  /** The sender of shopper mail; default shop@ the origin's host. */
  mailFrom?: string;
  /** host:port of the operator's mail relay, allowed through the egress proxy. */
  smtpRelay?: string;
  log?: (line: string) => void;
}

/** What the egress proxy lets out: Stripe's API always, the mail relay when one is named. */
export function egressAllowlist(smtpRelay: string | undefined): string {
  if (smtpRelay !== undefined && !/^[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$/.test(smtpRelay))
    throw new Error(`--smtp-relay must be host:port, not ${smtpRelay}`);
  return ['api.stripe.com:443', ...(smtpRelay ? [smtpRelay] : [])].join(',');
}

const password = () => randomBytes(24).toString('base64url');

/** Redis ACL rule for a user: on, this password (as its SHA-256), only its prefix, no dangerous commands. */
export function redisAclUser(user: string, secret: string, prefix: string): string {
  const hash = createHash('sha256').update(secret).digest('hex');
  return `user ${user} on #${hash} resetkeys ~${prefix}* resetchannels -@all +@read +@write +@keyspace +@scripting +@transaction +@connection -@dangerous +info`;
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ SHA-256(salt ‖ password)). */
export function rabbitPasswordHash(secret: string, salt = randomBytes(4)): string {
  return Buffer.concat([
    salt,
    createHash('sha256')
      .update(Buffer.concat([salt, Buffer.from(secret)]))
      .digest(),
  ]).toString('base64');
}

/** The order-worker's names (order-worker/src/pipeline/topology.ts with AMQP_TOPOLOGY_PREFIX=shop). */
const WORKER_NAMES = '^shop\\.(orders|orders\\.dlx|fulfilment|fulfilment\\.dead|mail)$';

export function rabbitDefinitions(workerPassword: string): object {
  return {
    rabbit_version: '3.10.0',
    users: [
      {
        name: 'order-worker',
        password_hash: rabbitPasswordHash(workerPassword),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: [],
      },
    ],
    vhosts: [{ name: 'shop' }],
    permissions: [
      { user: 'order-worker', vhost: 'shop', configure: WORKER_NAMES, write: WORKER_NAMES, read: WORKER_NAMES },
    ],
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    policies: [],
    queues: [],
    exchanges: [],
    bindings: [],
  };
}

/** A WireGuard key pair (X25519, base64 of the raw 32 bytes, as `wg genkey | wg pubkey` gives). */
export function wireguardKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64url').toString('base64');
  return {
    privateKey: b64(privateKey.export({ format: 'jwk' }).d),
    publicKey: b64(publicKey.export({ format: 'jwk' }).x),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function writeSecrets(
  opts: SecretsOptions,
): Promise<{ written: string[]; kept: string[]; todo: string[] }> {
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const written: string[] = [];
  const kept: string[] = [];
  // Compose (v1 and v2) bind-mounts file secrets with their host mode, and the services run as
  // their own users: the files are readable (0644) inside a folder only root can enter (0700).
  const put = async (name: string, make: () => Promise<string> | string, mode = 0o644): Promise<string> => {
    const file = join(dir, name);
    if (await exists(file)) {
      kept.push(name);
      return (await readFile(file, 'utf8')).trim();
    }
    const value = await make();
    await writeFile(file, value.endsWith('\n') ? value : `${value}\n`, { mode });
    await chmod(file, mode);
    written.push(name);
    return value.trim();
  };
  const copy = async (name: string, from: string) => {
    const file = join(dir, name);
    if (await exists(file)) return void kept.push(name);
    await copyFile(from, file);
    await chmod(file, 0o644);
    written.push(name);
  };

  // PostgreSQL: the owner of each database, and one login per runtime role (set by the migration jobs).
  const owner = await put('postgres_owner_password', password);
  const tokenizerOwner = await put('tokenizer_db_owner_password', password);
  const shopUrl = (user: string, pw: string) => `postgres://${user}:${encodeURIComponent(pw)}@postgres:5432/shop`;
  await put('api_migration_database_url', () => shopUrl('postgres', owner));
  await put('api_database_url', () => shopUrl('shop_api', password()));
  await put('worker_database_url', () => shopUrl('shop_order_worker', password()));
  await put('admin_portal_database_url', () => shopUrl('shop_admin_portal', password()));
  await put(
    'tokenizer_database_url',
    () => `postgres://postgres:${encodeURIComponent(tokenizerOwner)}@tokenizer-db:5432/tokenizer`,
  );

  // Redis: one ACL user per service, each in its own key space (compose.yaml's prefixes).
  const apiRedis = await put('api_redis_url', () => `redis://api:${password()}@redis:6379`);
  const portalRedis = await put('admin_portal_redis_url', () => `redis://admin-portal:${password()}@redis:6379`);
  await put('redis_users.acl', () =>
    [
      'user default off resetpass resetkeys resetchannels -@all',
      // Health checks only: PING and nothing else, no key, no channel.
      'user healthcheck on nopass resetkeys resetchannels -@all +ping',
      redisAclUser('api', decodeURIComponent(new URL(apiRedis).password), 'shop:api:'),
      redisAclUser('admin-portal', decodeURIComponent(new URL(portalRedis).password), 'admin-portal:'),
      '',
    ].join('\n'),
  );

  // RabbitMQ: the order-worker's user, virtual host and permissions.
  const amqp = await put('amqp_url', () => `amqp://order-worker:${password()}@rabbitmq:5672/shop`);
  await put('rabbitmq_definitions.json', () =>
    JSON.stringify(rabbitDefinitions(decodeURIComponent(new URL(amqp).password)), null, 2),
  );

  // Internal CA: the services' mTLS certificates (the CA's own state stays in internal-ca/).
  const internal = await new DevCertificateAuthority(join(dir, 'internal-ca'), 'Shop Internal CA').init();
  await copy('internal-ca.crt', internal.caFile);
  await copy('internal-ca.crl', internal.crlFile);
  const services: { name: string; server: boolean; extraSan?: string[] }[] = [
    { name: 'api', server: false },
    // Its tokenizer reads for mail (the recipient's address, at send time).
    { name: 'order-worker', server: false },
    { name: 'vault-tokenizer', server: true },
    { name: 'vault', server: true },
    // Staff reach the portal at the VPN's tunnel address (deploy/vpn forwards it).
    { name: 'admin-portal', server: true, extraSan: [`IP:${VPN_SUBNET}.1`] },
  ];
  for (const s of services) {
    if (await exists(join(dir, `${s.name}.crt`))) {
      kept.push(`${s.name}.crt`, `${s.name}.key`);
      continue;
    }
    const issued = await internal.issue(s.name, { server: s.server, days: SERVICE_DAYS, extraSan: s.extraSan ?? [] });
    await copy(`${s.name}.crt`, issued.certFile);
    await copy(`${s.name}.key`, issued.keyFile);
  }

  // Staff CA (never the internal CA) and the first staff member's certificate.
  const staff = await new DevCertificateAuthority(join(dir, 'staff-ca'), 'Shop Staff CA').init();
  await copy('staff-ca.crt', staff.caFile);
  await copy('staff-ca.crl', staff.crlFile);
  await mkdir(join(dir, 'staff'), { recursive: true, mode: 0o700 });
  const handle = opts.staffHandle;
  if (!(await exists(join(dir, 'staff', `${handle}.crt`)))) {
    const issued = await staff.issue(handle, { days: STAFF_DAYS });
    await copy(join('staff', `${handle}.crt`), issued.certFile);
    await copy(join('staff', `${handle}.key`), issued.keyFile);
  }
  // The certificate alone (no key), for admin-portal-migrate to register as the first admin.
  await copy('first-staff.crt', join(dir, 'staff', `${handle}.crt`));

  // The portal's audit signing key pair (Ed25519) and TOTP encryption key.
  if (!(await exists(join(dir, 'admin-audit-signing.pem')))) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await put('admin-audit-signing.pem', () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    await put('admin-audit-verify.pem', () => publicKey.export({ format: 'pem', type: 'spki' }).toString());
  } else kept.push('admin-audit-signing.pem', 'admin-audit-verify.pem');
  await put('admin_totp_key', () => randomBytes(32).toString('base64'));

  // WireGuard: the VPN's key, and the first staff device as its only peer (10.13.13.2).
  if (!(await exists(join(dir, 'vpn_server.key')))) {
    const server = wireguardKeyPair();
    const device = wireguardKeyPair();
    await put('vpn_server.key', () => server.privateKey);
    await put('vpn_server.pub', () => server.publicKey);
    await put(
      'vpn_peers.conf',
      () => `[Peer]\n# ${handle}\nPublicKey = ${device.publicKey}\nAllowedIPs = ${VPN_SUBNET}.2/32\n`,
    );
    await put(
      join('staff', `${handle}-wg0.conf`),
      () =>
        `[Interface]\nPrivateKey = ${device.privateKey}\nAddress = ${VPN_SUBNET}.2/32\n\n[Peer]\nPublicKey = ${server.publicKey}\nEndpoint = ${opts.vpnEndpoint}\n# The portal only (https://${VPN_SUBNET}.1:3443/): nothing else is routed through the tunnel.\nAllowedIPs = ${VPN_SUBNET}.1/32\nPersistentKeepalive = 25\n`,
      0o600,
    );
  } else kept.push('vpn_server.key', 'vpn_peers.conf');

  // The shop's public origin and sender, and what the egress proxy lets out.
  const origin = new URL(opts.shopOrigin ?? 'https://localhost');
  if (origin.protocol !== 'https:' || origin.pathname !== '/' || origin.search)
    throw new Error('--shop-origin must be https://host[:port]');
  await put('shop_origin', () => origin.origin);
  await put('mail_from', () => opts.mailFrom ?? `shop@${origin.hostname}`);
  const allow = await put('egress_allow', () => egressAllowlist(opts.smtpRelay));

  const todo: string[] = [];
  if (!(await exists(join(dir, 'smtp_url')))) {
    todo.push(
      `smtp_url: your mail relay (smtp://user:password@relay:587 with STARTTLS, or smtps://...:465); ${
        opts.smtpRelay
          ? `egress_allow names ${opts.smtpRelay}`
          : 'name its host:port with --smtp-relay (delete egress_allow first)'
      }`,
    );
  } else if (!allow.split(',').some((a) => a !== 'api.stripe.com:443')) {
    todo.push('egress_allow: add the mail relay host:port of smtp_url (or delete it and rerun with --smtp-relay)');
  }
  // The public certificate of the shop's domain: the operator's (a public CA's), never made here.
  if (opts.selfSignedGateway) {
    const gateway = await new DevCertificateAuthority(join(dir, 'gateway-test-ca'), 'Shop Gateway Test CA').init();
    if (!(await exists(join(dir, 'gateway.crt')))) {
      const issued = await gateway.issue('shop', { server: true, days: 30 });
      await copy('gateway.crt', issued.certFile);
      await copy('gateway.key', issued.keyFile);
    }
    todo.push(
      "gateway.crt / gateway.key: a TEST certificate (gateway-test-ca/) was written: replace it with your domain's",
    );
  } else {
    for (const f of ['gateway.crt', 'gateway.key'])
      if (!(await exists(join(dir, f))))
        todo.push(`${f}: the public TLS certificate (chain) and key of the shop's domain`);
  }
  for (const [f, what] of [
    ['stripe_secret_key', 'the Stripe secret key (a restricted key where possible)'],
    ['stripe_publishable_key', 'the Stripe publishable key'],
    ['stripe_webhook_secret', "the webhook endpoint's signing secret (whsec_...)"],
    [
      'vault_setup_token',
      'a Vault token allowed to run vault/setup-approle.sh, after `vault operator init` and unseal',
    ],
  ] as const) {
    if (!(await exists(join(dir, f)))) todo.push(`${f}: ${what}`);
  }
  log(`secrets in ${dir}: ${written.length} written, ${kept.length} kept`);
  return { written, kept, todo };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '.secrets' },
      staff: { type: 'string', default: 'first-admin' },
      'vpn-endpoint': { type: 'string', default: 'vpn.example.com:51820' },
      'self-signed-gateway': { type: 'boolean', default: false },
      'shop-origin': { type: 'string' },
      'mail-from': { type: 'string' },
      'smtp-relay': { type: 'string' },
    },
  });
  const result = await writeSecrets({
    dir: values.dir,
    staffHandle: values.staff,
    vpnEndpoint: values['vpn-endpoint'],
    selfSignedGateway: values['self-signed-gateway'],
    shopOrigin: values['shop-origin'],
    mailFrom: values['mail-from'],
    smtpRelay: values['smtp-relay'],
    log: console.log,
  });
  for (const f of result.written) console.log(`  wrote ${f}`);
  console.log(`\nStaff member "${values.staff}": hand over, over a secure channel, staff/${values.staff}.crt and .key`);
  console.log(
    `(the staff certificate; admin-portal-migrate registers it as the first admin) and staff/${values.staff}-wg0.conf`,
  );
  console.log('(the WireGuard configuration of the staff device).');
  if (result.todo.length > 0) {
    console.log(`\nStill to supply, in ${values.dir}/ (compose does not start without them):`);
    for (const t of result.todo) console.log(`  - ${t}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    console.error(`secrets: ${err.message}`);
    process.exitCode = 1;
  });
}
