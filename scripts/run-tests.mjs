// The suite: every *.test.ts under the workspaces' test folders, run by Node's own test
// runner with tsx. Node 20 does not expand globs, so this script lists the files.
// Usage: npm test [-- <path filter>...]
// The spec reporter stays on stdout (CI reads its closing summary); a second reporter writes
// every result to .tmp/test-results.jsonl, and the model checks (threat-model/src/check-cli.ts)
// then read that file as the last step: evidence counts only if it passed in this same run.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = [
  'shared',
  'api',
  'order-worker',
  'vault-tokenizer',
  'egress-proxy',
  'admin-portal',
  'storefront',
  'gateway',
  'policies',
  'threat-model',
  'scripts',
  'deploy',
];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = workspaces
  .flatMap((ws) => walk(join(root, ws, 'test'), []))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

// The deployment test (deploy/test/stack.ts): the whole compose.yaml in a Docker engine, run
// before the suite and alone (it builds images and brings the stack up). Without an engine it
// fails, naming the fix (.ci/run installs and starts one). A filter selects it like any file.
const DEPLOY_TEST = join('deploy', 'test', 'stack.ts');
const runDeploy = filters.length === 0 || filters.some((x) => DEPLOY_TEST.includes(x));

if (files.length === 0 && !runDeploy) {
  console.error('no test files found');
  process.exit(1);
}

const resultsFile = join(root, '.tmp', 'test-results.jsonl');
mkdirSync(dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });

// First, on a quiet machine; the suite's own summary then closes the output (CI counts it).
const deployResults = join(root, '.tmp', 'deploy-results.jsonl');
rmSync(deployResults, { force: true });
let deploy = { status: 0 };
if (runDeploy) {
  deploy = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts', 'lib', 'results-reporter.mjs')}`,
      `--test-reporter-destination=${deployResults}`,
      join(root, DEPLOY_TEST),
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
}

const result =
  files.length === 0
    ? { status: 0 }
    : spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          '--test-concurrency=2',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          `--test-reporter=${join(root, 'scripts', 'lib', 'results-reporter.mjs')}`,
          `--test-reporter-destination=${resultsFile}`,
          ...files,
        ],
        { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
      );

if (existsSync(deployResults)) appendFileSync(resultsFile, readFileSync(deployResults));

// A filtered run checks the model statically only: most evidence did not run.
const checks = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    join(root, 'threat-model', 'src', 'check-cli.ts'),
    resultsFile,
    ...(filters.length > 0 ? ['--partial'] : []),
  ],
  { cwd: root, stdio: 'inherit' },
);
const failed = [result, deploy, checks].find((r) => r.status !== 0);
process.exit(failed ? (failed.status ?? 1) : 0);
