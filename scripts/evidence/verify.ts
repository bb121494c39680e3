import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifyPack } from './manifest.js';

// npm run evidence:verify -- <pack folder> [--public-key <pem file>]
const args = process.argv.slice(2);
const keyAt = args.indexOf('--public-key');
const keyFile = keyAt >= 0 ? args[keyAt + 1] : undefined;
const dir = args.find((a, i) => !a.startsWith('--') && (keyAt < 0 || i !== keyAt + 1));
if (!dir) {
  console.error('usage: npm run evidence:verify -- <pack folder> [--public-key <pem file>]');
  process.exit(2);
}
const result = verifyPack(resolve(dir), keyFile ? readFileSync(keyFile, 'utf8') : undefined);
for (const p of result.problems) console.log(`✖ ${p}`);
console.log(
  result.ok
    ? `✔ ${result.checked} evidence files match the manifest, and its Ed25519 signature verifies with ${result.keySource}`
    : `✖ the pack does not verify (${result.problems.length} problem(s))`,
);
process.exitCode = result.ok ? 0 : 1;
