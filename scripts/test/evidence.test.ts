import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestResult } from '../../threat-model/src/checks.js';
import { ROOT } from '../../threat-model/src/inputs.js';
import { model } from '../../threat-model/src/model.js';
import { loadMapping } from '../../threat-model/src/pci-checks.js';
import { arrowsThroughBoxes, diagramLayout, diagramSvg, renderHtml, suiteSummary } from '../evidence/html.js';
import { verifyPack, writeManifest } from '../evidence/manifest.js';
import { assessmentResults, componentDefinition } from '../evidence/oscal.js';
import { validateOscal } from '../evidence/oscal-validate.js';

// The evidence pack an assessor cites (PCI DSS v4.0.1 12.5.2, 10.3.2): its manifest verifies
// and fails once one file changes, and its OSCAL documents follow the model's schema.

const dir = mkdtempSync(join(tmpdir(), 'evidence-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = '2026-12-01T10:00:00.000Z';
const passed: TestResult[] = model.controls.flatMap((c) =>
  c.evidence.flatMap((e) =>
    e.kind === 'config' ? [] : [{ name: `[${c.id}] x`, file: e.file, outcome: 'passed' as const }],
  ),
);

function pack(name: string) {
  const p = join(dir, name);
  mkdirSync(join(p, 'evidence'), { recursive: true });
  writeFileSync(join(p, 'evidence/E01-a.txt'), 'suite passed\n');
  writeFileSync(join(p, 'evidence/E02-b.json'), '{"ok":true}\n');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeManifest(
    p,
    name,
    [
      { number: 'E01', file: 'evidence/E01-a.txt', description: 'a' },
      { number: 'E02', file: 'evidence/E02-b.json', description: 'b' },
    ],
    privateKey,
    NOW,
  );
  return { p, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('[C-032] evidence pack integrity and OSCAL output', () => {
  it('verifies an untouched pack, with its own key and with the key given separately', () => {
    const { p, publicKey } = pack('intact');
    assert.deepEqual(verifyPack(p).problems, []);
    assert.equal(verifyPack(p, publicKey).ok, true);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evidence/verify.ts'), p], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.match(out, /✔ 2 evidence files match the manifest, and its Ed25519 signature verifies/);
  });

  it('fails once one evidence file changes by one byte, naming it, and the verify command exits 1', () => {
    const { p } = pack('changed');
    writeFileSync(join(p, 'evidence/E02-b.json'), '{"ok":false}\n');
    const result = verifyPack(p);
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems, ['E02 evidence/E02-b.json has changed (SHA-256 differs)']);
    assert.throws(
      () =>
        execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evidence/verify.ts'), p], { cwd: ROOT }),
      (e: { status: number }) => e.status === 1,
    );
  });

  it('fails when the manifest is edited to match a changed file, when a file is added, or with another key', () => {
    const { p } = pack('forged');
    writeFileSync(join(p, 'evidence/E01-a.txt'), 'suite failed\n');
    const manifest = JSON.parse(readFileSync(join(p, 'manifest.json'), 'utf8'));
    manifest.entries[0].sha256 = '0'.repeat(64);
    writeFileSync(join(p, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    assert.match(verifyPack(p).problems.join('\n'), /signature of manifest\.json does not verify/);
    const other = pack('other');
    writeFileSync(join(other.p, 'evidence/E03-extra.txt'), 'x');
    assert.match(verifyPack(other.p).problems.join('\n'), /E03-extra\.txt is in the pack but not in the manifest/);
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(
      verifyPack(pack('third').p, stranger).problems.join('\n'),
      /does not verify with the public key given/,
    );
  });

  it('emits an OSCAL component definition and assessment results that validate against the model schemas', () => {
    const mapping = loadMapping(ROOT);
    const cd = componentDefinition(model, mapping, NOW, '0.1.0');
    const ar = assessmentResults(
      model,
      mapping,
      ROOT,
      passed,
      () => 'evidence/E02-test-results.jsonl',
      NOW,
      NOW,
      '0.1.0',
    );
    assert.deepEqual(validateOscal('component-definition', cd), []);
    assert.deepEqual(validateOscal('assessment-results', ar), []);
    assert.equal(cd['component-definition'].metadata['oscal-version'], '1.1.2');
    const findings = ar['assessment-results'].results[0]?.findings ?? [];
    const f643 = findings.find((f) => f.title.startsWith('6.4.3 '));
    assert.equal(f643?.target.status.state, 'satisfied');
  });

  it('marks a requirement not satisfied when its control failed in the run', () => {
    const failed = passed.map((r) => (r.name.startsWith('[C-003]') ? { ...r, outcome: 'failed' as const } : r));
    const ar = assessmentResults(model, loadMapping(ROOT), ROOT, failed, () => 'evidence/E02', NOW, NOW, '0.1.0');
    const f643 = ar['assessment-results'].results[0]?.findings?.find((f) => f.title.startsWith('6.4.3 '));
    assert.equal(f643?.target.status.state, 'not-satisfied');
  });

  it('refuses OSCAL documents missing a required field or with a malformed UUID', () => {
    const cd = componentDefinition(model, loadMapping(ROOT), NOW, '0.1.0');
    const broken = structuredClone(cd) as {
      'component-definition': { uuid: string; metadata: Record<string, unknown> };
    };
    delete broken['component-definition'].metadata['oscal-version'];
    broken['component-definition'].uuid = 'not-a-uuid';
    const errors = validateOscal('component-definition', broken).join('\n');
    assert.match(errors, /must have required property 'oscal-version'/);
    assert.match(errors, /\/component-definition\/uuid must match pattern/);
    assert.match(
      validateOscal('assessment-results', { 'assessment-results': {} }).join('\n'),
      /required property 'import-ap'/,
    );
  });

  it('renders a self-contained report: no script, no external resource, every section and the diagram', () => {
    const html = renderHtml({
      model,
      mapping: loadMapping(ROOT),
      controls: model.controls.map((c) => ({
        id: c.id,
        name: c.name,
        passed: true,
        outcomes: [],
        evidenceFiles: ['E01'],
      })),
      checks: [],
      created: NOW,
      commit: 'abc',
      suite: { tests: 1, pass: 1, fail: 0 },
      evidence: [],
      fingerprint: 'f',
      audit: 'pass',
    });
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)[^"<\s]+"/);
    for (const h of ['1. Scope', '2. Threat model', '3. PCI DSS v4.0.1 mapping', '4. Results by control'])
      assert.ok(html.includes(h), h);
    assert.ok(diagramSvg(model).includes('vault-tokenizer'));
  });

  it('[C-032] counts every run of npm test in the headline: the deployment test and the suite', () => {
    const out = ['ℹ tests 9', 'ℹ pass 9', 'ℹ fail 0', 'spec lines', 'ℹ tests 768', 'ℹ pass 767', 'ℹ fail 1'].join('\n');
    assert.deepEqual(suiteSummary(out), { tests: 777, pass: 776, fail: 1 });
    assert.equal(suiteSummary('no summary'), undefined);
  });

  it('draws no straight arrow of the data-flow diagram through a box it does not join', () => {
    assert.deepEqual(arrowsThroughBoxes(model, diagramLayout(model)), []);
    // The check sees crossings: with most boxes left on the first row, arrows run through them.
    const crossed = arrowsThroughBoxes(model, diagramLayout(model, { api: 2, 'order-worker': 2, postgres: 1 }));
    assert.ok(crossed.length > 0, 'a layout with crossings is reported');
  });
});
