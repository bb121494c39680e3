// The dependency audit policy of policies/vulnerability-management.md, applied to npm's audit
// reports (format 2) of the production tree (`--omit=dev`) and of the whole tree:
// - fails: a critical advisory in a production dependency, and a high one with a fix available;
// - reported only: moderate and low ones, and anything only in development dependencies;
// - an exception (advisory URL, reason, owning role, expiry) lifts a failure until it expires;
// - an audit that did not run (npm's error instead of a report) fails: no report is no proof.

export interface AuditAdvisory {
  name: string;
  title: string;
  url: string;
  severity: Severity;
  range?: string;
}
type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';
interface AuditVulnerability {
  name: string;
  severity: Severity;
  via: (AuditAdvisory | string)[];
  fixAvailable?: boolean | { name: string; version: string; isSemVerMajor: boolean };
}
export interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, AuditVulnerability>;
  error?: { code?: string; summary?: string; detail?: string };
}
export interface AuditException {
  advisory: string;
  reason: string;
  owner: string;
  expires: string;
}
export interface Finding {
  package: string;
  advisory: string;
  title: string;
  severity: Severity;
  scope: 'production' | 'development';
  fixAvailable: boolean;
  verdict: 'fail' | 'report' | 'excepted';
  why: string;
}
export interface AuditOutcome {
  ok: boolean;
  findings: Finding[];
  errors: string[];
}

export const ROLES = ['Security lead', 'Platform operations lead', 'Engineering lead', 'Compliance lead'];

function advisories(report: AuditReport): { pkg: string; advisory: AuditAdvisory; fix: boolean }[] {
  return Object.values(report.vulnerabilities ?? {}).flatMap((v) =>
    v.via
      .filter((x): x is AuditAdvisory => typeof x === 'object')
      .map((advisory) => ({ pkg: v.name, advisory, fix: Boolean(v.fixAvailable) })),
  );
}

function unusable(report: AuditReport, label: string): string | undefined {
  if (report.error)
    return `the ${label} audit did not run: ${report.error.summary || report.error.code || 'npm error'}`;
  if (report.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object') {
    return `the ${label} audit is not an npm audit report (format 2)`;
  }
  return undefined;
}

export function evaluateAudit(
  production: AuditReport,
  full: AuditReport,
  exceptions: AuditException[],
  today: string,
): AuditOutcome {
  const errors = [unusable(production, 'production'), unusable(full, 'full')].filter((e): e is string => Boolean(e));
  if (errors.length > 0) return { ok: false, findings: [], errors };
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const prod = advisories(production);
  for (const { pkg, advisory, fix } of prod) {
    seen.add(`${pkg} ${advisory.url}`);
    const failing = advisory.severity === 'critical' || (advisory.severity === 'high' && fix);
    let verdict: Finding['verdict'] = failing ? 'fail' : 'report';
    let why = failing
      ? advisory.severity === 'critical'
        ? 'critical advisory in a production dependency'
        : 'high advisory with a fix available in a production dependency'
      : `${advisory.severity} advisory: reported, fixed within the policy's delay`;
    if (failing) {
      const exception = exceptions.find((e) => e.advisory === advisory.url);
      if (exception) {
        if (!ROLES.includes(exception.owner) || !exception.reason.trim()) {
          why = `exception for ${advisory.url} needs a reason and an owning role`;
        } else if (exception.expires <= today) {
          why = `exception for ${advisory.url} expired on ${exception.expires}: fix the dependency or renew the exception`;
        } else {
          verdict = 'excepted';
          why = `excepted until ${exception.expires} (${exception.owner}): ${exception.reason}`;
        }
      }
    }
    findings.push({
      package: pkg,
      advisory: advisory.url,
      title: advisory.title,
      severity: advisory.severity,
      scope: 'production',
      fixAvailable: fix,
      verdict,
      why,
    });
  }
  for (const { pkg, advisory, fix } of advisories(full)) {
    if (seen.has(`${pkg} ${advisory.url}`)) continue;
    findings.push({
      package: pkg,
      advisory: advisory.url,
      title: advisory.title,
      severity: advisory.severity,
      scope: 'development',
      fixAvailable: fix,
      verdict: 'report',
      why: 'development dependency only: reported, never shipped in the image',
    });
  }
  return { ok: findings.every((f) => f.verdict !== 'fail'), findings, errors };
}
