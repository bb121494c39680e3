import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { AdminEnv, loadAdminConfig } from '../../admin-portal/src/config.js';
import { ApiConfigSchema, loadApiConfig } from '../../api/src/config.js';
import { MigrateJobSchema, rolePasswords } from '../../api/src/migrate.js';
import { EgressConfigSchema, loadEgressConfig } from '../../egress-proxy/src/config.js';
import { loadWorkerConfig, WorkerConfigSchema } from '../../order-worker/src/config.js';
// @ts-expect-error: a plain ES module of the build, without type declarations
import { BUNDLES } from '../../scripts/build.mjs';
import { loadTokenizerConfig, TokenizerEnv } from '../../vault-tokenizer/src/config.js';
import { createKeyProvider } from '../../vault-tokenizer/src/keys/index.js';

// compose.yaml against the code it runs: a variable the service does not read is a setting an
// operator believes is in force and is not (a misnamed TLS or database variable silently falls
// back to a default). These tests read the services' own config schemas, not a copy of them.

interface Service {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  user?: string;
  build?: unknown;
  secrets?: string[];
}
const ROOT = new URL('../../', import.meta.url);
const composeText = readFileSync(new URL('compose.yaml', ROOT), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');

interface ObjectSchema {
  properties: Record<string, { default?: unknown }>;
  required?: string[];
}
const SCHEMAS: Record<string, ObjectSchema> = {
  api: ApiConfigSchema as unknown as ObjectSchema,
  'order-worker': WorkerConfigSchema as unknown as ObjectSchema,
  'vault-tokenizer': TokenizerEnv as unknown as ObjectSchema,
  'admin-portal': AdminEnv as unknown as ObjectSchema,
  'api-migrate': MigrateJobSchema as unknown as ObjectSchema,
  'egress-proxy': EgressConfigSchema as unknown as ObjectSchema,
};

// Variables a service reads outside its schema, each with the source folder that must really
// read it (checked below, so the list cannot hide a misnamed variable).
const READ_OUTSIDE_SCHEMA: Record<string, Record<string, string>> = {
  'vault-tokenizer': { NODE_ENV: 'vault-tokenizer/src' },
};

function environmentOf(name: string): Record<string, string> {
  const service = compose.services[name];
  assert.ok(service, `compose.yaml has no service ${name}`);
  return service.environment ?? {};
}

/** `NAME` of the schema, or `NAME_FILE` meaning "read NAME from this file" (shared/src/config.ts). */
function schemaKeyFor(variable: string, schema: ObjectSchema): string | undefined {
  if (variable in schema.properties) return variable;
  if (variable.endsWith('_FILE') && variable.slice(0, -5) in schema.properties) return variable.slice(0, -5);
  return undefined;
}

function sourceReads(folder: string, variable: string): boolean {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const full = join(dir, n);
      return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
    });
  return walk(new URL(folder, ROOT).pathname).some((f) => readFileSync(f, 'utf8').includes(`process.env.${variable}`));
}

/** The runtime stage of the Dockerfile (the last FROM), as instruction lines. */
function runtimeStage(): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const from = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  return lines.slice(from);
}

const NODE_SERVICES = Object.keys(SCHEMAS);

describe('compose.yaml environment against the services config schemas', () => {
  for (const name of NODE_SERVICES) {
    it(`${name}: passes only variables its config schema reads`, () => {
      const schema = SCHEMAS[name] as ObjectSchema;
      const unknown = Object.keys(environmentOf(name)).filter(
        (v) => schemaKeyFor(v, schema) === undefined && !(v in (READ_OUTSIDE_SCHEMA[name] ?? {})),
      );
      assert.deepEqual(unknown, [], `${name} is given variables it never reads`);
      for (const [variable, folder] of Object.entries(READ_OUTSIDE_SCHEMA[name] ?? {})) {
        assert.ok(sourceReads(folder, variable), `${folder} does not read ${variable}: drop it from the allow list`);
      }
    });

    it(`${name}: gives every variable its schema requires`, () => {
      const schema = SCHEMAS[name] as ObjectSchema;
      const given = new Set(Object.keys(environmentOf(name)).map((v) => schemaKeyFor(v, schema)));
      const required = (schema.required ?? []).filter((k) => schema.properties[k]?.default === undefined);
      assert.deepEqual(
        required.filter((k) => !given.has(k)),
        [],
        `${name} would stop at start`,
      );
    });
  }

  it('every *_FILE indirection and every file path points at a secret or volume the service mounts', () => {
    for (const name of NODE_SERVICES) {
      const service = compose.services[name] as Service;
      for (const [variable, value] of Object.entries(environmentOf(name))) {
        const m = /^\/run\/secrets\/(.+)$/.exec(value);
        if (m) assert.ok(service.secrets?.includes(m[1] as string), `${name}.${variable}: secret ${m[1]} not mounted`);
      }
    }
  });

  it('the loaders accept the compose environment with its secret files (and the tokenizer takes Vault in production)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // Plausible contents for each mounted file, made here so no credential-shaped literal sits in the repo.
    const fill = (path: string): string => {
      const base = path.split('/').pop() as string;
      const random = randomBytes(8).toString('hex');
      const values: Record<string, string> = {
        api_database_url: `postgres://shop_api:${random}${random}@postgres:5432/shop`,
        api_migration_database_url: 'postgres://shop_owner@postgres:5432/shop',
        worker_database_url: `postgres://shop_order_worker:${random}${random}@postgres:5432/shop`,
        admin_portal_database_url: `postgres://shop_admin_portal:${random}@postgres:5432/shop`,
        tokenizer_database_url: 'postgres://tokenizer_owner@tokenizer-db:5432/tokenizer',
        api_redis_url: 'redis://api:pw@redis:6379',
        admin_portal_redis_url: 'redis://admin-portal:pw@redis:6379',
        amqp_url: 'amqp://order-worker:pw@rabbitmq:5672/shop',
        admin_totp_key: randomBytes(32).toString('base64'),
        stripe_secret_key: `${'sk'}_test_${random}`,
        stripe_publishable_key: `pk_test_${random}`,
        stripe_webhook_secret: `${'whsec'}_${random}`,
        smtp_url: `smtp://shop:${random}@relay.example:587`,
        mail_from: 'shop@shop.example',
        shop_origin: 'https://shop.example',
        egress_allow: 'api.stripe.com:443,relay.example:587',
      };
      const file = join(dir, base);
      writeFileSync(file, values[base] ?? `contents of ${base}\n`);
      return file;
    };
    const envOf = (name: string) =>
      Object.fromEntries(Object.entries(environmentOf(name)).map(([k, v]) => [k, v.startsWith('/run/') ? fill(v) : v]));

    const api = loadApiConfig(envOf('api'));
    assert.match(api.DATABASE_URL ?? '', /^postgres:\/\/shop_api:/);
    assert.equal(api.DATABASE_MIGRATION_URL, undefined, 'the api holds no owner credentials');
    assert.equal(api.REDIS_KEY_PREFIX, 'shop:api:', 'the prefix its Redis ACL user is limited to');
    assert.equal(api.PORT, 3000);
    assert.equal(api.NODE_ENV, 'production');
    assert.match(api.STRIPE_SECRET_KEY ?? '', /^sk_test_/);
    assert.ok(api.TOKENIZER_URL?.startsWith('https://') && api.TOKENIZER_CERT_FILE && api.TOKENIZER_KEY_FILE);

    const worker = loadWorkerConfig(envOf('order-worker'));
    assert.match(worker.WORKER_DATABASE_URL, /^postgres:\/\/shop_order_worker:/);
    assert.equal(worker.AMQP_URL, 'amqp://order-worker:pw@rabbitmq:5672/shop');
    // Mail: the operator's relay through the egress proxy, recipients read from the tokenizer.
    assert.match(worker.SMTP_URL ?? '', /^smtp:\/\/shop:/);
    assert.equal(worker.SMTP_PROXY_URL, 'http://172.30.7.10:3128');
    assert.equal(worker.STOREFRONT_ORIGIN, 'https://shop.example');
    assert.equal(worker.MAIL_FROM, 'shop@shop.example');
    assert.ok(worker.TOKENIZER_URL?.startsWith('https://') && worker.TOKENIZER_CERT_FILE && worker.TOKENIZER_KEY_FILE);

    const egress = loadEgressConfig(envOf('egress-proxy'));
    assert.equal(egress.EGRESS_ALLOW, 'api.stripe.com:443,relay.example:587');
    assert.equal(egress.EGRESS_HOST, '172.30.7.10', 'its egress-network address only');

    const tokenizer = loadTokenizerConfig(envOf('vault-tokenizer'));
    assert.equal(tokenizer.TOKENIZER_HOST, '172.30.4.20', 'its pii-network address only');
    assert.ok(
      tokenizer.TOKENIZER_TLS_CERT_FILE.startsWith(dir),
      'the certificate path comes from compose, not the dev default',
    );
    const provider = createKeyProvider(tokenizer, {
      nodeEnv: environmentOf('vault-tokenizer').NODE_ENV,
      log: () => {},
    });
    assert.equal(provider.kind, 'vault-transit');

    const portal = loadAdminConfig(envOf('admin-portal'));
    assert.equal(portal.ADMIN_MIGRATIONS, 'external', 'the portal holds no owner credentials');
    assert.match(portal.ADMIN_RUNTIME_DATABASE_URL ?? '', /^postgres:\/\/shop_admin_portal:/);
    assert.equal(portal.ADMIN_REDIS_PREFIX, 'admin-portal:');
    assert.ok(portal.ADMIN_TOTP_KEY && portal.ADMIN_STAFF_CA_FILE.startsWith(dir));

    const job = envOf('api-migrate');
    const roles = rolePasswords({
      DATABASE_URL: readFileSync(job.DATABASE_URL_FILE as string, 'utf8'),
      WORKER_DATABASE_URL: readFileSync(job.WORKER_DATABASE_URL_FILE as string, 'utf8'),
    });
    assert.deepEqual(
      roles.map((r) => r.role),
      ['shop_api', 'shop_order_worker'],
    );
    assert.throws(
      () => rolePasswords({ DATABASE_URL: 'postgres://postgres:x@p/shop', WORKER_DATABASE_URL: 'postgres://x@p/shop' }),
      /must connect as shop_api/,
      'the job sets no password of a role other than the runtime roles',
    );
  });

  it('gives no owner database URL to the internet-facing api, the worker or the portal (only the migration jobs)', () => {
    for (const name of ['api', 'order-worker', 'admin-portal']) {
      const secrets = (compose.services[name] as Service).secrets ?? [];
      assert.ok(!secrets.includes('api_migration_database_url'), `${name} mounts the owner URL`);
    }
    for (const name of ['api-migrate', 'admin-portal-migrate']) {
      assert.ok((compose.services[name] as Service).secrets?.includes('api_migration_database_url'), name);
    }
  });
});

describe('[C-021] compose.yaml commands and the image', () => {
  const emitted = new Set(
    Object.entries(BUNDLES as Record<string, string[]>).flatMap(([ws, names]) =>
      names.map((n) => `dist/${ws}/${n}.js`),
    ),
  );

  it('runs each node service from a bundle that npm run build emits, in the one image', () => {
    for (const name of NODE_SERVICES) {
      const service = compose.services[name] as Service;
      const command = [...(service.entrypoint ?? []), ...(service.command ?? [])];
      assert.equal(command[0], 'node', `${name} runs node`);
      assert.ok(emitted.has(command[1] as string), `${name}: ${command[1]} is not a bundle of scripts/build.mjs`);
      assert.ok(service.build, `${name} builds from the Dockerfile`);
    }
    assert.match(dockerfile, /^CMD \["node", "dist\/api\/server\.js"\]$/m);
  });

  it('serves the storefront from the folder the image holds', () => {
    const workdir = runtimeStage()
      .findLast((l) => /^WORKDIR\s/i.test(l))
      ?.split(/\s+/)[1];
    assert.equal(environmentOf('api').STOREFRONT_DIR, `${workdir}/dist/storefront`);
  });

  it('[C-048] builds on a pinned Node 24 LTS image, the same major that .ci/run tests on (PCI DSS 6.3.3)', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
    const image = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/m.exec(dockerfile);
    assert.ok(image, 'the Dockerfile pins NODE_IMAGE to node:<major.minor.patch>-<debian>-slim');
    assert.equal(image[1], '24', 'Node 24 is the supported LTS line');
    const ci = readFileSync(new URL('.ci/run', ROOT), 'utf8');
    assert.equal(/^NODE_MAJOR=(\d+)$/m.exec(ci)?.[1], image[1], '.ci/run tests on the production major');
    const engines = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).engines.node;
    assert.equal(engines, '>=22', 'no end-of-life Node line is declared supported');
  });

  it('runs the image as a non-root user, from dist only, with NODE_ENV=production', () => {
    const stage = runtimeStage();
    assert.match(stage[0] as string, /^FROM \$\{NODE_IMAGE\} AS runtime$/);
    const user = stage.findLast((l) => /^USER\s/i.test(l))?.split(/\s+/)[1];
    assert.ok(user, 'the runtime stage sets USER');
    const [uid] = user.split(':');
    assert.ok(uid !== 'root' && uid !== '0', `runs as ${user}`);
    for (const name of NODE_SERVICES) {
      const composeUser = (compose.services[name] as Service).user;
      assert.ok(composeUser && !/^(0|root)(:|$)/.test(composeUser), `${name} runs as ${composeUser}`);
    }
    const copies = stage.filter((l) => /^(COPY|ADD)\s/i.test(l));
    assert.deepEqual(copies, ['COPY --from=build /src/dist ./dist'], 'only the build output enters the image');
    assert.ok(!stage.some((l) => /^RUN\s.*npm (ci|install)/i.test(l)), 'no dependency install in the runtime stage');
    assert.ok(stage.includes('ENV NODE_ENV=production'));
    assert.ok(stage.some((l) => /^HEALTHCHECK\s/i.test(l)));
  });

  it('keeps local state, keys and secrets out of the build context', () => {
    const ignored = readFileSync(new URL('.dockerignore', ROOT), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.data', '.certs', '.keys', '.secrets', '**/dist', 'test-artifacts']) {
      assert.ok(ignored.includes(entry), `.dockerignore lists ${entry}`);
    }
  });
});
