import type { TestResult } from './checks.js';
import { readResults, repositoryInput } from './inputs.js';
import { runAllChecks } from './run-checks.js';

// The last step of `npm test` (scripts/run-tests.mjs): the model checks against the results
// file the test runner wrote in the same run. Plain lines, after the runner's own summary; any
// problem makes the run fail. Usage: check-cli.ts <results.jsonl> [--partial]
const [resultsPath, ...flags] = process.argv.slice(2);
const partial = flags.includes('--partial');
let results: TestResult[] | undefined;
if (!partial) {
  if (!resultsPath) throw new Error('usage: check-cli.ts <results.jsonl> [--partial]');
  results = readResults(resultsPath);
}
const checks = runAllChecks(repositoryInput(results));
console.log(
  `\nmodel checks (threat-model/ and policies/, against compose.yaml, the config schemas${partial ? '' : " and this run's results"})`,
);
for (const c of checks) {
  console.log(`${c.problems.length === 0 ? '✔' : '✖'} ${c.name}`);
  for (const p of c.problems) console.log(`    - ${p}`);
}
if (partial) console.log('  (a filtered run: evidence pass status is checked only when the whole suite runs)');
const failed = checks.filter((c) => c.problems.length > 0).length;
console.log(`model checks: ${checks.length - failed} passed, ${failed} failed`);
// exitCode, not exit(): output to a full pipe is still queued, and exit() would drop its tail.
process.exitCode = failed > 0 ? 1 : 0;
