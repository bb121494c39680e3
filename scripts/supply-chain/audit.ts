import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AuditException, type AuditReport, evaluateAudit } from './audit-policy.js';

// npm run audit: runs npm audit on the production tree and on the whole tree, applies the
// policy (audit-policy.ts) and exits 1 when it fails. With --out <file> it writes the outcome.
const root = fileURLToPath(new URL('../../', import.meta.url));

function npmAudit(args: string[]): AuditReport {
  const run = spawnSync('npm', ['audit', '--json', ...args], { cwd: root, encoding: 'utf8' });
  try {
    const report = JSON.parse(run.stdout) as AuditReport & { message?: string };
    // When the registry refuses, npm prints its HTTP error as JSON instead of a report.
    if (report.auditReportVersion === undefined) {
      return { error: { summary: report.error?.summary || report.message || 'npm printed no report' } };
    }
    return report;
  } catch {
    return { error: { summary: (run.stderr || run.stdout || 'no output').trim().split('\n')[0] } };
  }
}

const exceptions = JSON.parse(
  readFileSync(new URL('audit-exceptions.json', import.meta.url), 'utf8'),
) as AuditException[];
const outcome = evaluateAudit(
  npmAudit(['--omit=dev']),
  npmAudit([]),
  exceptions,
  new Date().toISOString().slice(0, 10),
);
for (const e of outcome.errors) console.log(`✖ ${e}`);
for (const f of outcome.findings) {
  console.log(`${f.verdict === 'fail' ? '✖' : 'ℹ'} ${f.package} ${f.severity} (${f.scope}) ${f.advisory}: ${f.why}`);
}
console.log(outcome.ok ? 'audit policy: pass' : 'audit policy: FAIL');
const out = process.argv.indexOf('--out');
if (out > 0 && process.argv[out + 1])
  writeFileSync(process.argv[out + 1] as string, `${JSON.stringify(outcome, null, 2)}\n`);
process.exitCode = outcome.ok ? 0 : 1;
