import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, type ServiceProcess, spawnService } from '@shop/shared/test-harness';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../../api/src/sessions/redis-session-store.js';
import { topologyFor } from '../../order-worker/src/pipeline/topology.js';
import { writeSecrets } from '../../scripts/secrets.js';

// [C-040] The per-service users of Redis and RabbitMQ that `npm run secrets` writes for
// compose.yaml (PCI DSS v4.0.1 7.2.1, 7.2.2, 8.2.2; ASVS 14.1): Redis runs here with the
// repository's own deploy/redis/redis.conf and the ACL file the script wrote, and each user is
// attacked from the wrong side. The broker's definitions are checked against the topology the
// worker declares; the deployment test (deploy/test/stack.ts) checks the running broker.

const REDIS_CONF = fileURLToPath(new URL('../redis/redis.conf', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'service-users-'));
const secrets = join(dir, 'secrets');
let redis: ServiceProcess;
let port = 0;
const clients: Redis[] = [];

function urlOf(name: string): URL {
  return new URL(readFileSync(join(secrets, name), 'utf8').trim());
}
function connect(user?: string, password?: string): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    ...(user ? { username: user } : {}),
    ...(password !== undefined ? { password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}
async function as(secret: string): Promise<Redis> {
  const u = urlOf(secret);
  const client = connect(decodeURIComponent(u.username), decodeURIComponent(u.password));
  await client.connect();
  return client;
}
/** Commands over a plain socket (RESP), one reply line each: what any container on the network can send. */
function raw(...commands: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      const lines = text.split('\r\n').filter(Boolean);
      if (lines.length >= commands.length) {
        socket.destroy();
        resolve(lines.slice(0, commands.length));
      }
    });
    socket.on('error', reject);
    for (const c of commands)
      socket.write(`*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return 'allowed';
}

before(async () => {
  await writeSecrets({
    dir: secrets,
    staffHandle: 'first-admin',
    vpnEndpoint: 'vpn.test:51820',
    selfSignedGateway: false,
  });
  port = await freePort();
  // The repository's configuration file, with only the address, port and ACL file path changed.
  redis = spawnService(
    'redis-server',
    [REDIS_CONF, '--port', String(port), '--bind', '127.0.0.1', '--aclfile', join(secrets, 'redis_users.acl')],
    { cwd: dir },
  );
  await redis.waitForOutput(/Ready to accept connections/, 30_000);
});

after(async () => {
  for (const c of clients) c.disconnect();
  redis?.child.kill('SIGKILL');
  await redis?.exited();
  rmSync(dir, { recursive: true, force: true });
});

describe('[C-040] Redis ACL users per service (PCI DSS 7.2.2, 8.2.2)', () => {
  it('refuses a connection without credentials: the default user is off', async () => {
    const [get, auth] = await raw(['GET', 'shop:api:sess:x'], ['AUTH', 'default', 'anything']);
    assert.match(get ?? '', /^-(NOAUTH|NOPERM)/);
    assert.match(auth ?? '', /^-WRONGPASS/);
  });

  it('refuses a wrong password for a service user', async () => {
    const [auth, get] = await raw(['AUTH', 'api', 'not-the-password'], ['GET', 'shop:api:sess:x']);
    assert.match(auth ?? '', /^-WRONGPASS/);
    assert.match(get ?? '', /^-(NOAUTH|NOPERM)/);
  });

  it('lets the api use its own key space only (sessions and rate-limit counters under shop:api:)', async () => {
    const api = await as('api_redis_url');
    const store = new RedisSessionStore(api, 'shop:api:');
    await store.set('a'.repeat(64), { userId: 'u1' } as never, 60_000);
    assert.deepEqual(await store.get('a'.repeat(64)), { userId: 'u1' });
    // The rate limiter's Lua script with its key under the prefix (as @fastify/rate-limit runs it).
    const script = "local c = redis.call('INCR', KEYS[1]); redis.call('PEXPIRE', KEYS[1], ARGV[1]); return c";
    assert.equal(await api.eval(script, 1, 'shop:api:rl:127.0.0.1', '60000'), 1);
    assert.equal(await api.ping(), 'PONG');
  });

  it('keeps the api out of the portal key space and from every administrative command', async () => {
    const portal = await as('admin_portal_redis_url');
    await portal.set('admin-portal:sess:staff', 'staff-session');
    const api = await as('api_redis_url');
    assert.match(await refusal(api.get('admin-portal:sess:staff')), /NOPERM/);
    assert.match(await refusal(api.set('admin-portal:sess:staff', 'forged')), /NOPERM/);
    assert.match(await refusal(api.eval("return redis.call('GET', KEYS[1])", 1, 'admin-portal:sess:staff')), /NOPERM/);
    for (const command of [
      ['KEYS', '*'],
      ['FLUSHALL'],
      ['CONFIG', 'GET', '*'],
      ['ACL', 'LIST'],
      ['DEBUG', 'SLEEP', '0'],
      ['SHUTDOWN'],
    ]) {
      assert.match(await refusal(api.call(command[0] as string, ...command.slice(1))), /NOPERM|ERR/, command.join(' '));
    }
    assert.equal(await portal.get('admin-portal:sess:staff'), 'staff-session', 'the portal session is untouched');
  });

  it('keeps the portal out of the api key space', async () => {
    const api = await as('api_redis_url');
    await api.set('shop:api:sess:shopper', 'shopper-session');
    const portal = await as('admin_portal_redis_url');
    assert.match(await refusal(portal.get('shop:api:sess:shopper')), /NOPERM/);
    assert.match(await refusal(portal.del('shop:api:sess:shopper')), /NOPERM/);
  });

  it('lets the health-check user PING and nothing else', async () => {
    const health = connect('healthcheck', 'healthcheck');
    await health.connect();
    assert.equal(await health.ping(), 'PONG');
    assert.match(await refusal(health.get('shop:api:sess:shopper')), /NOPERM/);
    assert.match(await refusal(health.set('x', '1')), /NOPERM/);
  });

  it('stores passwords only as SHA-256 hashes in the ACL file', () => {
    const acl = readFileSync(join(secrets, 'redis_users.acl'), 'utf8');
    const password = decodeURIComponent(urlOf('api_redis_url').password);
    assert.ok(!acl.includes(password));
    assert.ok(acl.includes(`#${createHash('sha256').update(password).digest('hex')}`));
  });
});

describe('[C-040] RabbitMQ: one user for the order-worker, its vhost and names only (PCI DSS 7.2.2)', () => {
  const definitions = () => JSON.parse(readFileSync(join(secrets, 'rabbitmq_definitions.json'), 'utf8'));

  it('defines no guest and no administrator, and one user whose password matches amqp_url', () => {
    const d = definitions();
    assert.deepEqual(
      d.users.map((u: { name: string }) => u.name),
      ['order-worker'],
    );
    const [user] = d.users;
    assert.deepEqual(user.tags, [], 'no management or administrator tag');
    const amqp = urlOf('amqp_url');
    assert.equal(decodeURIComponent(amqp.username), 'order-worker');
    assert.equal(amqp.pathname, '/shop', 'the worker connects to its own vhost');
    // rabbit_password_hashing_sha256: base64(salt(4) ‖ sha256(salt ‖ password)).
    const raw = Buffer.from(user.password_hash, 'base64');
    const salt = raw.subarray(0, 4);
    const expected = createHash('sha256')
      .update(Buffer.concat([salt, Buffer.from(decodeURIComponent(amqp.password))]))
      .digest();
    assert.deepEqual(raw.subarray(4), expected);
  });

  it('grants configure, write and read on the names the worker declares and nothing else', () => {
    const [permission] = definitions().permissions;
    assert.equal(permission.vhost, 'shop');
    const names = Object.values(topologyFor('shop')).filter((v): v is string => typeof v === 'string');
    for (const kind of ['configure', 'write', 'read'] as const) {
      const re = new RegExp(permission[kind]);
      for (const name of names) assert.match(name, re, `${kind} ${name}`);
      for (const other of ['shop.orders.extra', 'other.orders', 'amq.default', '', 'shop', 'shopXorders']) {
        assert.doesNotMatch(other, re, `${kind} must not cover ${other}`);
      }
    }
  });
});
