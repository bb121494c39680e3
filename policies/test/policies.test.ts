import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestResult } from '../../threat-model/src/checks.js';
import { ROOT } from '../../threat-model/src/inputs.js';
import { model } from '../../threat-model/src/model.js';
import {
  checkMapping,
  checkPolicies,
  loadMapping,
  type Mapping,
  mappingItems,
  POLICIES,
} from '../../threat-model/src/pci-checks.js';
import { passingResults } from '../../threat-model/test/support/results.js';

// The policy set and the PCI DSS v4.0.1 mapping (PCI DSS 12.1.1, 12.1.2, 12.5.2), checked like
// the threat model: each policy owned and in date; nothing implemented without passing evidence.

const TODAY = '2026-12-01';
const passedAll = (): TestResult[] => passingResults(model);
const mapping = (): Mapping => structuredClone(loadMapping(ROOT));
type RawSection = Mapping['requirements'][number]['sections'][number];
const section = (m: Mapping, id: string): RawSection => {
  const s = m.requirements.flatMap((r) => r.sections).find((x) => String(x.id) === id);
  assert.ok(s, id);
  return s;
};

describe('[C-031] policies and the PCI DSS v4.0.1 mapping', () => {
  it('has every policy of the set, each owned by a role, approved and within its review date', () => {
    assert.deepEqual(checkPolicies(ROOT, model, TODAY).problems, []);
  });

  it('fails a policy that is missing, owned by a person, or past its review date', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies/a.md'),
      '---\ntitle: A\nowner: Jane Doe\napproved: 2026-01-01\nnext-review: 2027-01-01\n---\n',
    );
    writeFileSync(
      join(dir, 'policies/b.md'),
      '---\ntitle: B\nowner: Security lead\napproved: 2025-01-01\nnext-review: 2026-06-01\n---\n',
    );
    const text = checkPolicies(dir, model, TODAY, ['a', 'b', 'c']).problems.join('\n');
    assert.match(text, /policies\/a\.md is owned by "Jane Doe", which is not a role/);
    assert.match(text, /policies\/b\.md is past its review date \(2026-06-01\)/);
    assert.match(text, /policies\/c\.md does not exist/);
  });

  it('lists all twelve requirements, and every sub-requirement names a policy of the set', () => {
    const items = mappingItems(loadMapping(ROOT));
    const ids = new Set(items.map((i) => i.id));
    // A sample of the deepest numbers of each requirement: a dropped section shows up here.
    for (const id of [
      '1.5.1',
      '2.3.2',
      '3.7.9',
      '4.2.2',
      '5.4.1',
      '6.5.6',
      '7.3.3',
      '8.6.3',
      '9.5.1.2.1',
      '10.7.3',
      '11.6.1',
      '12.10.7',
    ]) {
      assert.ok(ids.has(id), `${id} is in the mapping`);
    }
    for (const item of items) assert.ok(POLICIES.includes(item.policy), `${item.id}: ${item.policy}`);
    assert.deepEqual(checkMapping(loadMapping(ROOT), model, ROOT, passedAll()).problems, []);
  });

  it('keeps SAQ A eligibility explicit: 6.4.3 and 11.6.1 are implemented by the script inventory and change detection', () => {
    const items = mappingItems(loadMapping(ROOT));
    for (const [id, control] of [
      ['6.4.3', 'C-003'],
      ['11.6.1', 'C-004'],
    ]) {
      const item = items.find((i) => i.id === id);
      assert.ok(item?.controls.includes(control as string), `${id} cites ${control}`);
      assert.equal(item?.applicability, 'saq-a-eligibility');
      assert.equal(item?.status, 'implemented');
    }
    assert.match(loadMapping(ROOT).scope, /tokenizer holds personal data[\s\S]*never holds account data/);
  });

  it('fails an item marked implemented whose control did not pass in the run, or that names no control', () => {
    const m = mapping();
    const results = passedAll().map((r) => (r.name.startsWith('[C-003]') ? { ...r, outcome: 'failed' as const } : r));
    let text = checkMapping(m, model, ROOT, results).problems.join('\n');
    assert.match(text, /6\.4\.3 is implemented through C-003, whose evidence did not hold: "\[C-003\] suite" failed/);
    section(m, '7.3').defaults = { ...section(m, '7.3').defaults, controls: [] };
    text = checkMapping(m, model, ROOT, passedAll()).problems.join('\n');
    assert.match(text, /7\.3\.1 is implemented but names no control/);
  });

  it('fails a missing requirement, an unknown control, a not-applicable item without a reason and a gap left unsaid', () => {
    const m = mapping();
    m.requirements = m.requirements.filter((r) => String(r.id) !== '9');
    section(m, '1.3').items['1.3.1'] = { title: 'x', controls: ['C-404'] };
    section(m, '2.3').defaults = { ...section(m, '2.3').defaults, reason: '' };
    section(m, '7.2').items['7.2.3'] = { title: 'x', status: 'planned', controls: [] };
    section(m, '6.4').items['6.4.3'] = { title: 'x', status: 'partial', gap: 'y' };
    const text = checkMapping(m, model, ROOT, passedAll()).problems.join('\n');
    assert.match(text, /requirement 9 is missing/);
    assert.match(text, /1\.3\.1 names control C-404, which the threat model does not have/);
    assert.match(text, /2\.3\.1 is not applicable: give the reason/);
    assert.match(text, /7\.2\.3 is planned: say what is missing \(gap\)/);
    assert.match(text, /6\.4\.3 keeps SAQ A eligible and must be implemented, not partial/);
  });

  it('fails an item with a key the mapping does not know, as an unquoted title with commas becomes', () => {
    const m = mapping();
    // What `{ title: Adding, removing and changing IDs authorised }` parses to in YAML.
    section(m, '8.2').items['8.2.4'] = { title: 'Adding', 'removing and changing IDs authorised': null } as never;
    assert.match(
      checkMapping(m, model, ROOT, passedAll()).problems.join('\n'),
      /8\.2\.4 has an unknown key "removing and changing IDs authorised": quote a title that holds a comma/,
    );
  });

  it('uses titles of its own: no sub-requirement title is longer than a short phrase', () => {
    const text = readFileSync(join(ROOT, 'policies/pci-dss-v4.0.1.yaml'), 'utf8');
    assert.ok(text.length > 0);
    for (const item of mappingItems(loadMapping(ROOT))) {
      assert.ok(item.title.split(/\s+/).length <= 20, `${item.id} title is short`);
    }
  });
});
