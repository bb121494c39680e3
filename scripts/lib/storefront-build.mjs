// The storefront build `npm start` serves: storefront/dist, rebuilt (`npm run build -w storefront`)
// when it is missing or older than any of its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the build reads: a change to any of these makes dist stale. */
const SOURCES = ['src', 'index.html', 'package.json', 'vite.config.ts', 'build'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Why dist must be rebuilt, or null when it is fresh. */
export function storefrontBuildStaleness(storefrontDir) {
  const index = join(storefrontDir, 'dist', 'index.html');
  if (!existsSync(index)) return 'storefront/dist is missing';
  const built = statSync(index).mtimeMs;
  const changed = SOURCES.find((source) => newestMtime(join(storefrontDir, source)) > built);
  return changed ? `storefront/${changed} changed since the last build` : null;
}

/** Builds the storefront when stale; returns the absolute path of dist. Throws if the build fails. */
export function ensureStorefrontBuild(root, log) {
  const storefrontDir = join(root, 'storefront');
  const reason = storefrontBuildStaleness(storefrontDir);
  if (reason) {
    log(`${reason}: building it (npm run build -w storefront)`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // Output to stderr: stdout carries the lines that say what runs where.
    const result = spawnSync(npm, ['run', 'build', '-w', 'storefront'], {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
    });
    if (result.status !== 0) throw new Error('the storefront build failed (see above)');
  } else {
    log('storefront/dist is up to date');
  }
  return join(storefrontDir, 'dist');
}
