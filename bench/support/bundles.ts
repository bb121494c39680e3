import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Every bench child, bundled together: one esbuild run at bench start covers them all. */
const CHILDREN = ['products-server', 'pipeline-api-server', 'pipeline-worker', 'tokenizer-server'].map((name) =>
  fileURLToPath(new URL(`./${name}.ts`, import.meta.url)),
);

/** What the bundles are made of: a change to any of these makes them stale. */
const SOURCES = [
  'api/src',
  'order-worker/src',
  'api/drizzle',
  'shared/src',
  'vault-tokenizer/src',
  'vault-tokenizer/migrations',
  'bench/support',
  'scripts/build.mjs',
  'package-lock.json',
];

function newestMtime(path: string): number {
  const full = join(ROOT, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(full)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function bundleOf(file: string): string {
  return join(DIST, 'bench', `${basename(file).replace(/\.ts$/, '')}.js`);
}

const SERVICE_BUNDLES = ['api/server.js', 'order-worker/server.js', 'vault-tokenizer/server.js'].map((f) =>
  join(DIST, f),
);
let checked = false;

/**
 * The bundle (dist/bench/<name>.js) of a bench child (bench/support/<name>.ts), built by
 * `scripts/build.mjs --bench` with the production bundles' options when missing or older than
 * any source, so a bench runs the compiled code under plain node as production does.
 */
export function benchBundle(file: string): string {
  const bundle = bundleOf(file);
  const entries = CHILDREN.includes(file) ? CHILDREN : [...CHILDREN, file];
  if (!checked || !existsSync(bundle)) {
    const outputs = [...SERVICE_BUNDLES, ...entries.map(bundleOf)];
    const built = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
    if (built <= Math.max(...SOURCES.map(newestMtime))) {
      console.log('bench: building the bundles (scripts/build.mjs --bench): sources changed since the last build');
      const result = spawnSync(
        process.execPath,
        ['scripts/build.mjs', '--bench', ...entries.map((f) => relative(ROOT, f))],
        { cwd: ROOT, stdio: 'inherit' },
      );
      if (result.status !== 0) throw new Error(`scripts/build.mjs --bench failed (exit ${result.status})`);
    }
    checked = true;
  }
  return bundle;
}

/** Node options of a bench child: none but the CPU profile when BENCH_CPU_PROFILE_DIR asks for one. */
export function childExecArgv(): string[] {
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  return profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
}
