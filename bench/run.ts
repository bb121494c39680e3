/**
 * `npm run bench`: runs the default export of every bench/*.bench.ts, one after another (so
 * benches never compete for the two cores), and exits non-zero if any of them throws.
 * `npm run bench -- <substring>` runs only the matching files.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error('bench: no bench/*.bench.ts file matched');
  process.exit(1);
}

const failed: string[] = [];
for (const file of files) {
  const started = Date.now();
  console.log(`bench: ${file}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default?: unknown };
    if (typeof mod.default !== 'function') throw new Error('has no default export function');
    await (mod.default as () => Promise<void>)();
    console.log(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed.push(file);
    console.error(`bench: ${file} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
if (failed.length > 0) {
  console.error(`bench: ${failed.length} of ${files.length} failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`bench: ${files.length} of ${files.length} ran`);
