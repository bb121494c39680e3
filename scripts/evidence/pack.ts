import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { resolveEvidence, type TestResult } from '../../threat-model/src/checks.js';
import { ROOT, readResults, repositoryInput } from '../../threat-model/src/inputs.js';
import { model } from '../../threat-model/src/model.js';
import { loadMapping, POLICIES } from '../../threat-model/src/pci-checks.js';
import { runAllChecks } from '../../threat-model/src/run-checks.js';
import { SBOM_WORKSPACES, writeSbom } from '../supply-chain/sbom.js';
import { type ControlStatus, renderHtml, suiteSummary } from './html.js';
import { fingerprint, signingKey, writeManifest } from './manifest.js';
import { assessmentResults, componentDefinition } from './oscal.js';
import { validateOscal } from './oscal-validate.js';

// npm run evidence [-- --results <jsonl> --suite-log <txt>]: runs the test suite (or takes a
// finished run's files), the model and mapping checks, the SBOMs, the dependency audit and the
// secret scan, and writes a pack under evidence-pack/<time>/ (git-ignored): numbered evidence
// files, report.html, OSCAL JSON, and a manifest of SHA-256 hashes signed with Ed25519.

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const started = new Date().toISOString();
const stamp = started.replace(/[:.]/g, '-');
const packDir = join(ROOT, 'evidence-pack', stamp);
const evidenceDir = join(packDir, 'evidence');
mkdirSync(evidenceDir, { recursive: true });
const files: { number: string; file: string; description: string; status?: string }[] = [];
let step = 0;
const STEPS = 8;
const progress = (what: string) => console.log(`\n[evidence ${++step}/${STEPS}] ${what}`);

function add(name: string, description: string, content?: string | Buffer, status?: string): string {
  const number = `E${String(files.length + 1).padStart(2, '0')}`;
  const file = `evidence/${number}-${name}`;
  if (content !== undefined) writeFileSync(join(packDir, file), content);
  files.push({ number, file, description, status });
  return number;
}

async function runSuite(log: string): Promise<number> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/run-tests.mjs')], { cwd: ROOT, env: process.env });
    const chunks: Buffer[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (d: Buffer) => {
        chunks.push(d);
        process.stdout.write(d);
      });
    }
    child.on('close', (code) => {
      writeFileSync(log, Buffer.concat(chunks));
      resolve(code ?? 1);
    });
  });
}

// 1. The suite, with the model checks as its last step.
progress('test suite (npm test), with the model and mapping checks as its last step');
const suiteLog = join(packDir, 'suite.tmp');
let resultsFile = opt('--results');
let suiteStatus: number;
if (resultsFile) {
  copyFileSync(opt('--suite-log') ?? resultsFile, suiteLog);
  suiteStatus = -1;
  console.log(`using the finished run in ${resultsFile}`);
} else {
  suiteStatus = await runSuite(suiteLog);
  resultsFile = join(ROOT, '.tmp', 'test-results.jsonl');
}
const suiteText = readFileSync(suiteLog, 'utf8');
const suite = suiteSummary(suiteText);
const e01 = add(
  'test-suite-output.txt',
  'npm test output: the spec reporter, its summary and the model checks',
  suiteText,
  suite ? `${suite.pass}/${suite.tests} passed${suiteStatus > 0 ? `, exit ${suiteStatus}` : ''}` : undefined,
);
const results: TestResult[] = readResults(resultsFile);
const e02 = add(
  'test-results.jsonl',
  'every test and suite of the run with its file and outcome',
  readFileSync(resultsFile),
);

// 2. Model and mapping checks, and the results of the checks the issue names.
progress('threat model, policy and PCI DSS mapping checks against those results');
const checks = runAllChecks(repositoryInput(results));
const e03 = add(
  'model-and-mapping-checks.json',
  'the model, policy and mapping checks',
  `${JSON.stringify(checks, null, 2)}\n`,
  checks.every((c) => c.problems.length === 0) ? 'all passed' : 'failed',
);
const slice = (prefixes: string[]) => results.filter((r) => prefixes.some((p) => r.file.startsWith(p)));
const sliceStatus = (rs: TestResult[]) =>
  rs.length === 0 ? 'did not run' : rs.every((r) => r.outcome === 'passed') ? `${rs.length} passed` : 'failed';
const segmentation = slice(['threat-model/test/compose', 'threat-model/test/bundles']);
const e04 = add(
  'compose-and-segmentation-results.json',
  'compose.yaml segmentation, hardening and environment tests',
  `${JSON.stringify(segmentation, null, 2)}\n`,
  sliceStatus(segmentation),
);
const gateway = slice(['gateway/test/', 'api/test/plugins/security-headers']);
const e05 = add(
  'gateway-tls-and-headers-results.json',
  "the gateway's TLS, header and body tests; the api's security headers",
  `${JSON.stringify(gateway, null, 2)}\n`,
  sliceStatus(gateway),
);
const paymentPage = slice([
  'storefront/test/build/',
  'storefront/test/scripts/',
  'storefront/test/browser/csp-enforcement',
]);
const e06 = add(
  'payment-page-inventory-and-change-detection-results.json',
  'payment-page script inventory, SRI, change detection and CSP enforcement tests',
  `${JSON.stringify(paymentPage, null, 2)}\n`,
  sliceStatus(paymentPage),
);

// 3. SBOMs.
progress('CycloneDX SBOM per service');
const sbomNumbers: string[] = [];
for (const ws of SBOM_WORKSPACES) {
  const number = `E${String(files.length + 1).padStart(2, '0')}`;
  const name = `sbom-${ws}.cdx.json`;
  const { ok, output } = writeSbom(ws, join(evidenceDir, `${number}-${name}`));
  if (!ok) writeFileSync(join(evidenceDir, `${number}-${name}`), output);
  add(name, `CycloneDX SBOM of ${ws} (production dependencies)`, undefined, ok ? 'written' : 'failed');
  sbomNumbers.push(number);
  console.log(`${ok ? '✔' : '✖'} ${ws}`);
}

// 4. Dependency audit.
progress('npm audit and the audit policy');
const auditOut = join(packDir, 'audit.tmp');
const audit = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'scripts/supply-chain/audit.ts'), '--out', auditOut],
  {
    cwd: ROOT,
    encoding: 'utf8',
  },
);
process.stdout.write(audit.stdout);
const e12 = add(
  'npm-audit-policy.json',
  'npm audit (production and full tree) judged by the audit policy',
  existsSync(auditOut) ? readFileSync(auditOut) : audit.stdout,
  audit.status === 0 ? 'pass' : 'FAIL (see file)',
);

// 5. Secret scan.
progress('secret scan (secretlint over every tracked file)');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const scan = spawnSync(
  join(ROOT, 'node_modules/.bin/secretlint'),
  ['--secretlintrc', join(ROOT, '.secretlintrc.json'), '--format', 'unix', '--no-glob', '--no-color', ...tracked],
  { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
const e13 = add(
  'secret-scan.txt',
  `secretlint over ${tracked.length} tracked files (exit 0: nothing found)`,
  `exit ${scan.status}\n${scan.stdout}${scan.stderr}`,
  scan.status === 0 ? 'nothing found' : 'FINDINGS',
);

// 6. The documents.
progress('threat model report, PCI DSS mapping and policies');
const e14 = add('threat-model-report.md', 'threat-model/REPORT.md', readFileSync(join(ROOT, 'threat-model/REPORT.md')));
const e15 = add(
  'pci-dss-v4.0.1.yaml',
  'policies/pci-dss-v4.0.1.yaml',
  readFileSync(join(ROOT, 'policies/pci-dss-v4.0.1.yaml')),
);
for (const p of POLICIES) add(`policy-${p}.md`, `policies/${p}.md`, readFileSync(join(ROOT, 'policies', `${p}.md`)));

// 7. Results by control.
const specific: Record<string, string[]> = {
  'C-003': [e06],
  'C-004': [e06],
  'C-005': [e05],
  'C-019': [e05],
  'C-020': [e04],
  'C-021': [e04],
  'C-022': [e13],
  'C-029': [e03, e14],
  'C-030': [...sbomNumbers, e12],
  'C-031': [e03, e15],
  'C-048': [e04, e12],
};
const controls: ControlStatus[] = model.controls.map((c) => {
  const outcomes = c.evidence.map((e) => resolveEvidence(c.id, e, ROOT, results));
  return {
    id: c.id,
    name: c.name,
    passed: outcomes.every((o) => o.status === 'passed'),
    outcomes,
    evidenceFiles: [e01, e02, ...(specific[c.id] ?? [])],
  };
});

// 8. OSCAL.
progress('OSCAL component definition and assessment results, validated');
const mapping = loadMapping(ROOT);
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ended = new Date().toISOString();
const hrefOf = (id: string) => {
  const first = controls.find((c) => c.id === id)?.evidenceFiles.at(-1) ?? e02;
  return files.find((f) => f.number === first)?.file ?? 'evidence/';
};
const cd = componentDefinition(model, mapping, ended, version);
const ar = assessmentResults(model, mapping, ROOT, results, hrefOf, started, ended, version);
add('oscal-component-definition.json', 'OSCAL 1.1.2 component definition', `${JSON.stringify(cd, null, 2)}\n`);
add('oscal-assessment-results.json', 'OSCAL 1.1.2 assessment results of this run', `${JSON.stringify(ar, null, 2)}\n`);
const validation = {
  'component-definition': validateOscal('component-definition', cd),
  'assessment-results': validateOscal('assessment-results', ar),
};
const oscalOk = Object.values(validation).every((v) => v.length === 0);
add(
  'oscal-validation.json',
  'both documents validated against scripts/evidence/oscal-schemas/ (a subset; see its README)',
  `${JSON.stringify(validation, null, 2)}\n`,
  oscalOk ? 'valid' : 'INVALID',
);
console.log(oscalOk ? '✔ valid' : `✖ ${JSON.stringify(validation)}`);

rmSync(suiteLog, { force: true });
rmSync(auditOut, { force: true });

// 9. Report, manifest, signature.
progress('report.html, manifest and Ed25519 signature');
const key = signingKey(ROOT);
const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
const dirty = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
writeFileSync(
  join(packDir, 'report.html'),
  renderHtml({
    model,
    mapping,
    controls,
    checks,
    created: ended,
    commit: `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    suite,
    evidence: files,
    fingerprint: fingerprint(createPublicKey(key)),
    audit: audit.status === 0 ? 'pass' : 'did not pass or did not run',
    reusedRun: opt('--results'),
  }),
);
writeManifest(
  packDir,
  basename(packDir),
  [{ number: 'R', file: 'report.html', description: 'the report' }, ...files],
  key,
  ended,
);
const failed = controls.filter((c) => !c.passed).length;
console.log(
  `\n${controls.length - failed}/${controls.length} controls with passing evidence; checks ${checks.every((c) => c.problems.length === 0) ? 'passed' : 'FAILED'}`,
);
console.log(`verify: npm run evidence:verify -- ${relative(ROOT, packDir)}`);
console.log(`open:   ${join(packDir, 'report.html')}`);
