// `npm start` on the embedded PostgreSQL: each service gets its own role, with a fresh random
// password at every start (never printed), and the tokenizer its own database, closed to the
// shop's roles; the shop database is closed to the tokenizer's.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TOKENIZER_DATABASE = 'tokenizer';
/** Owns the tokenizer's database and applies its migrations (CREATEROLE: they create its runtime role if missing). */
export const TOKENIZER_OWNER_ROLE = 'tokenizer_owner';
/** What the tokenizer runs as (vault-tokenizer/src/db/database.ts grants it its rights at each start). */
export const TOKENIZER_RUNTIME_ROLE = 'tokenizer_runtime';
/** The order-worker's role (api migration 0002). */
export const WORKER_ROLE = 'shop_order_worker';

function urlFor(baseUrl, role, password, database) {
  const u = new URL(baseUrl);
  u.username = role;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  // Its errors reach the awaited query; unheard, an 'error' event would end the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function setPassword(client, role) {
  const password = randomBytes(24).toString('base64url');
  const literal = (await client.query('select quote_literal($1) as q', [password])).rows[0].q;
  await client.query(`ALTER ROLE ${role} PASSWORD ${literal}`);
  return password;
}

async function ensureRole(client, role, attributes) {
  await client.query(
    `DO $$ BEGIN CREATE ROLE ${role} ${attributes}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await client.query(`ALTER ROLE ${role} ${attributes}`);
}

/**
 * As the cluster's superuser (the owner URL startApi hands to its beforeListen hook): sets the
 * order-worker's password, creates the tokenizer's roles and database. Returns the URLs each
 * service connects with.
 */
export async function prepareEmbeddedRoles(ownerUrl) {
  const shopDatabase = new URL(ownerUrl).pathname.slice(1);
  return withClient(ownerUrl, async (client) => {
    const workerPassword = await setPassword(client, WORKER_ROLE);
    await ensureRole(client, TOKENIZER_OWNER_ROLE, 'LOGIN NOSUPERUSER CREATEROLE NOCREATEDB NOINHERIT');
    await ensureRole(client, TOKENIZER_RUNTIME_ROLE, 'LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT');
    const ownerPassword = await setPassword(client, TOKENIZER_OWNER_ROLE);
    const runtimePassword = await setPassword(client, TOKENIZER_RUNTIME_ROLE);
    const exists = await client.query('select 1 from pg_database where datname = $1', [TOKENIZER_DATABASE]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${TOKENIZER_DATABASE} OWNER ${TOKENIZER_OWNER_ROLE}`);
    }
    // Only the roles named here may connect: the shop's roles to the shop, the tokenizer's to its own.
    await client.query(`REVOKE ALL ON DATABASE ${TOKENIZER_DATABASE} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${TOKENIZER_DATABASE} TO ${TOKENIZER_RUNTIME_ROLE}`);
    await client.query(`REVOKE ALL ON DATABASE ${shopDatabase} FROM PUBLIC`);
    return {
      workerUrl: urlFor(ownerUrl, WORKER_ROLE, workerPassword, shopDatabase),
      tokenizerOwnerUrl: urlFor(ownerUrl, TOKENIZER_OWNER_ROLE, ownerPassword, TOKENIZER_DATABASE),
      tokenizerRuntimeUrl: urlFor(ownerUrl, TOKENIZER_RUNTIME_ROLE, runtimePassword, TOKENIZER_DATABASE),
    };
  });
}
