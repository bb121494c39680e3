import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AuditException, type AuditReport, evaluateAudit } from '../supply-chain/audit-policy.js';
import { writeSbom } from '../supply-chain/sbom.js';

// The supply-chain controls of policies/vulnerability-management.md (PCI DSS v4.0.1 6.3.1,
// 6.3.2, 6.3.3): the audit policy on recorded advisories (no network), the SBOM of a service,
// and the allowScripts list against its written explanation.

const root = new URL('../../', import.meta.url);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`fixtures/npm-audit/${name}`, import.meta.url), 'utf8')) as AuditReport;
const production = fixture('production.json');
const full = fixture('full.json');
const LODASH_RCE = 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm';
const TODAY = '2026-12-01';

describe('[C-030] dependency audit policy and SBOM', () => {
  it('fails the build on a critical production advisory and on a high one with a fix', () => {
    const outcome = evaluateAudit(production, full, [], TODAY);
    assert.equal(outcome.ok, false);
    const failing = outcome.findings.filter((f) => f.verdict === 'fail').map((f) => `${f.package} ${f.severity}`);
    assert.deepEqual(failing.sort(), ['lodash high', 'minimist critical']);
  });

  it('only reports moderate advisories and advisories of development-only dependencies', () => {
    const outcome = evaluateAudit(production, full, [], TODAY);
    const reported = outcome.findings.filter((f) => f.verdict === 'report');
    assert.deepEqual(reported.map((f) => `${f.package} ${f.severity} ${f.scope}`).sort(), [
      'braces high development',
      'lodash moderate production',
    ]);
  });

  it('lets a reasoned, owned exception lift a failure until it expires, and not a day longer', () => {
    const minimistFixed: AuditReport = structuredClone(production);
    delete minimistFixed.vulnerabilities?.minimist;
    const exception: AuditException = {
      advisory: LODASH_RCE,
      reason: 'lodash.template is never called with untrusted templates',
      owner: 'Security lead',
      expires: '2026-12-31',
    };
    assert.equal(evaluateAudit(minimistFixed, full, [exception], TODAY).ok, true);
    const expired = evaluateAudit(minimistFixed, full, [{ ...exception, expires: TODAY }], TODAY);
    assert.equal(expired.ok, false);
    assert.match(expired.findings.find((f) => f.verdict === 'fail')?.why ?? '', /expired on 2026-12-01/);
    const unowned = evaluateAudit(minimistFixed, full, [{ ...exception, owner: 'Jane Doe' }], TODAY);
    assert.equal(unowned.ok, false);
  });

  it('fails when npm audit could not run, instead of passing on no report', () => {
    const refused: AuditReport = { error: { code: 'ENOAUDIT', summary: 'audit endpoint returned an error' } };
    const outcome = evaluateAudit(refused, full, [], TODAY);
    assert.equal(outcome.ok, false);
    assert.match(outcome.errors.join(), /production audit did not run: audit endpoint returned an error/);
  });

  it('passes a clean report', () => {
    const clean: AuditReport = { auditReportVersion: 2, vulnerabilities: {} };
    assert.deepEqual(evaluateAudit(clean, clean, [], TODAY), { ok: true, findings: [], errors: [] });
  });

  const dir = mkdtempSync(join(tmpdir(), 'sbom-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a CycloneDX SBOM of the api's production dependencies, without development tools", () => {
    const file = join(dir, 'api.cdx.json');
    const { ok, output } = writeSbom('api', file);
    assert.ok(ok, output);
    const bom = JSON.parse(readFileSync(file, 'utf8')) as {
      bomFormat: string;
      specVersion: string;
      components: { name: string; version: string; purl?: string }[];
    };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.match(bom.specVersion, /^1\.\d+$/);
    const flat = (list: { name: string; components?: unknown[] }[]): string[] =>
      list.flatMap((c) => [c.name, ...flat((c.components ?? []) as { name: string }[])]);
    const names = flat(bom.components);
    for (const needed of ['fastify', 'stripe', 'pg']) assert.ok(names.includes(needed), `${needed} in the SBOM`);
    for (const devOnly of ['typescript', 'biome', 'secretlint', 'autocannon']) {
      assert.ok(!names.includes(devOnly), `${devOnly} is a development tool, not in the SBOM`);
    }
  });

  it('explains every allowScripts entry in the vulnerability management policy', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    const policy = readFileSync(new URL('policies/vulnerability-management.md', root), 'utf8');
    const allowed = Object.entries(pkg.allowScripts).filter(([, on]) => on);
    assert.ok(allowed.length > 0);
    for (const [name] of allowed) assert.ok(policy.includes(`\`${name}\``), `${name} is explained in the policy`);
  });
});
