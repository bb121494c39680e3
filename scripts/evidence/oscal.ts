import { randomUUID } from 'node:crypto';
import { resolveEvidence, type TestResult } from '../../threat-model/src/checks.js';
import { type Mapping, mappingItems } from '../../threat-model/src/pci-checks.js';
import type { ThreatModel } from '../../threat-model/src/types.js';

// OSCAL 1.1.2 JSON generated from the same data as the HTML report: a component definition
// (the system's components and how each PCI DSS sub-requirement is implemented) and assessment
// results (one observation per control from this run, one finding per implemented item).
// Validated in tests against scripts/evidence/oscal-schemas/ (see the README there).

export const OSCAL_VERSION = '1.1.2';
const NS = 'https://github.com/hardened-shop/ns/oscal';
const CATALOG_HREF = 'https://www.pcisecuritystandards.org/document_library/';

export const controlIdOf = (requirement: string) => `pcidss-${requirement}`;

function metadata(title: string, now: string, version: string) {
  return {
    title,
    'last-modified': now,
    version,
    'oscal-version': OSCAL_VERSION,
    roles: [{ id: 'security-lead', title: 'Security lead' }],
  };
}

export function componentDefinition(model: ThreatModel, mapping: Mapping, now: string, version: string) {
  const catalog = randomUUID();
  const items = mappingItems(mapping).filter((i) => i.status !== 'not-applicable');
  const controlName = new Map(model.controls.map((c) => [c.id, c.name]));
  return {
    'component-definition': {
      uuid: randomUUID(),
      metadata: metadata('hardened-shop: components and PCI DSS v4.0.1 implementation', now, version),
      components: [
        {
          uuid: randomUUID(),
          type: 'software',
          title: 'hardened-shop',
          description: mapping.scope.trim(),
          purpose: `Online shop reference architecture, target ${mapping.target}`,
          props: model.components
            .filter((c) => c.composeService)
            .map((c) => ({ name: 'compose-service', ns: NS, value: c.composeService as string })),
          'control-implementations': [
            {
              uuid: randomUUID(),
              source: `#${catalog}`,
              description: `${mapping.standard} requirements as mapped in policies/pci-dss-v4.0.1.yaml`,
              'implemented-requirements': items.map((i) => ({
                uuid: randomUUID(),
                'control-id': controlIdOf(i.id),
                description:
                  i.controls.length > 0
                    ? `${i.title}. Controls: ${i.controls.map((c) => `${c} ${controlName.get(c) ?? ''}`).join('; ')}.`
                    : `${i.title}. ${i.gap ?? `Covered by policies/${i.policy}.md.`}`,
                props: [
                  { name: 'implementation-status', ns: NS, value: i.status },
                  { name: 'applicability', ns: NS, value: i.applicability },
                  { name: 'responsibility', ns: NS, value: i.responsibility },
                ],
              })),
            },
          ],
        },
      ],
      'back-matter': {
        resources: [{ uuid: catalog, title: mapping.standard, rlinks: [{ href: CATALOG_HREF }] }],
      },
    },
  };
}

export function assessmentResults(
  model: ThreatModel,
  mapping: Mapping,
  root: string,
  results: TestResult[],
  evidenceHref: (controlId: string) => string,
  start: string,
  end: string,
  version: string,
) {
  const plan = randomUUID();
  const observations = model.controls.map((c) => {
    const outcomes = c.evidence.map((e) => resolveEvidence(c.id, e, root, results));
    const passed = outcomes.every((o) => o.status === 'passed');
    return {
      control: c.id,
      passed,
      observation: {
        uuid: randomUUID(),
        title: `${c.id} ${c.name}`,
        description: outcomes.map((o) => `${o.status}: ${o.detail}`).join('\n'),
        methods: c.evidence.some((e) => e.kind !== 'config') ? ['TEST'] : ['EXAMINE'],
        types: [passed ? 'control-objective' : 'finding'],
        collected: end,
        'relevant-evidence': [{ href: evidenceHref(c.id), description: `evidence of ${c.id}` }],
      },
    };
  });
  const byControl = new Map(observations.map((o) => [o.control, o]));
  const assessed = mappingItems(mapping).filter((i) => i.status === 'implemented' || i.status === 'partial');
  const findings = assessed.map((i) => {
    const related = i.controls.map((c) => byControl.get(c)).filter((o) => o !== undefined);
    const satisfied = i.status === 'implemented' && related.length > 0 && related.every((o) => o.passed);
    return {
      uuid: randomUUID(),
      title: `${i.id} ${i.title}`,
      description: satisfied
        ? `Implemented; every control's evidence passed in this run (${i.controls.join(', ')}).`
        : i.status === 'partial'
          ? `Partly implemented: ${i.gap ?? ''}`
          : `Evidence did not pass in this run (${i.controls.join(', ')}).`,
      target: {
        type: 'statement-id',
        'target-id': `${controlIdOf(i.id)}_smt`,
        status: { state: satisfied ? 'satisfied' : 'not-satisfied' },
      },
      ...(related.length > 0
        ? { 'related-observations': related.map((o) => ({ 'observation-uuid': o.observation.uuid })) }
        : {}),
    };
  });
  return {
    'assessment-results': {
      uuid: randomUUID(),
      metadata: metadata('hardened-shop: results of the evidence run', end, version),
      'import-ap': { href: `#${plan}` },
      results: [
        {
          uuid: randomUUID(),
          title: 'npm test and the model checks',
          description:
            'The whole test suite, then the threat model, policy and PCI DSS mapping checks against its results.',
          start,
          end,
          'reviewed-controls': {
            'control-selections': [{ 'include-controls': assessed.map((i) => ({ 'control-id': controlIdOf(i.id) })) }],
          },
          observations: observations.map((o) => o.observation),
          ...(findings.length > 0 ? { findings } : {}),
        },
      ],
      'back-matter': {
        resources: [
          {
            uuid: plan,
            title: 'Assessment plan: npm run evidence (the test suite and the model checks)',
            description:
              'The plan is the repository itself: scripts/evidence/pack.ts runs it; threat-model/REPORT.md lists every control and its evidence.',
          },
        ],
      },
    },
  };
}
