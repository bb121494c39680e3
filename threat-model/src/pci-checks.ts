import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type CheckResult, resolveEvidence, type TestResult } from './checks.js';
import type { ThreatModel } from './types.js';

// The PCI DSS v4.0.1 mapping (policies/pci-dss-v4.0.1.yaml) and the policy set, held to the
// threat model's controls and to the results of the run, like the model itself.

export const APPLICABILITY = ['saq-a', 'saq-a-eligibility', 'hardening', 'not-applicable'] as const;
export const RESPONSIBILITY = ['merchant', 'stripe', 'shared', 'operator'] as const;
export const STATUS = ['implemented', 'partial', 'planned', 'operator', 'stripe', 'not-applicable'] as const;

const ITEM_KEYS = new Set([
  'title',
  'applicability',
  'responsibility',
  'policy',
  'status',
  'controls',
  'reason',
  'gap',
]);

export interface MappingItem {
  id: string;
  title: string;
  applicability: string;
  responsibility: string;
  policy: string;
  status: string;
  controls: string[];
  reason?: string;
  gap?: string;
}
interface RawItem extends Partial<Omit<MappingItem, 'id'>> {}
interface RawSection {
  id: string;
  title: string;
  defaults?: RawItem;
  items: Record<string, string | RawItem>;
}
export interface Mapping {
  standard: string;
  target: string;
  scope: string;
  requirements: { id: string; title: string; sections: RawSection[] }[];
}

export function loadMapping(root: string): Mapping {
  return parse(readFileSync(join(root, 'policies/pci-dss-v4.0.1.yaml'), 'utf8')) as Mapping;
}

/** Every item with its section's defaults applied. */
export function mappingItems(mapping: Mapping): (MappingItem & { section: string; requirement: string })[] {
  return mapping.requirements.flatMap((r) =>
    r.sections.flatMap((s) =>
      Object.entries(s.items ?? {}).map(([id, raw]) => {
        const own: RawItem = typeof raw === 'string' ? { title: raw } : raw;
        const item = { ...s.defaults, ...own };
        // A section's controls describe its implemented items; an item of another status
        // (operator, not applicable) cites controls only if it names them itself.
        const implemented = item.status === 'implemented' || item.status === 'partial';
        if (!implemented && own.controls === undefined) item.controls = [];
        return {
          id: String(id),
          section: String(s.id),
          requirement: String(r.id),
          title: item.title ?? '',
          applicability: item.applicability ?? '',
          responsibility: item.responsibility ?? '',
          policy: item.policy ?? '',
          status: item.status ?? '',
          controls: item.controls ?? [],
          reason: item.reason,
          gap: item.gap,
        };
      }),
    ),
  );
}

export interface PolicyMeta {
  file: string;
  title?: string;
  owner?: string;
  approved?: string;
  'next-review'?: string;
}

export function policyMeta(root: string, name: string): PolicyMeta | undefined {
  const path = join(root, 'policies', `${name}.md`);
  if (!existsSync(path)) return undefined;
  const m = /^---\n([\s\S]*?)\n---\n/.exec(readFileSync(path, 'utf8'));
  const meta = m ? (parse(m[1] as string) as Record<string, unknown>) : {};
  const str = (v: unknown) =>
    v instanceof Date ? v.toISOString().slice(0, 10) : v === undefined ? undefined : String(v);
  return {
    file: `policies/${name}.md`,
    title: str(meta.title),
    owner: str(meta.owner),
    approved: str(meta.approved),
    'next-review': str(meta['next-review']),
  };
}

export const POLICIES = [
  'information-security',
  'access-control',
  'cryptography-and-key-management',
  'secure-development',
  'logging-and-monitoring',
  'vulnerability-management',
  'incident-response',
  'third-party-providers',
  'data-retention-and-disposal',
];

export function checkPolicies(root: string, model: ThreatModel, today: string, names = POLICIES): CheckResult {
  const problems: string[] = [];
  for (const name of names) {
    const meta = policyMeta(root, name);
    if (!meta) {
      problems.push(`policies/${name}.md does not exist: write it (front matter: title, owner, approved, next-review)`);
      continue;
    }
    if (!meta.title) problems.push(`${meta.file} has no title in its front matter`);
    if (!meta.owner || !model.roles.includes(meta.owner)) {
      problems.push(`${meta.file} is owned by "${meta.owner ?? ''}", which is not a role (${model.roles.join(', ')})`);
    }
    if (!meta.approved || meta.approved > today) problems.push(`${meta.file} has no approval date on or before today`);
    if (!meta['next-review'] || meta['next-review'] <= today) {
      problems.push(
        `${meta.file} is past its review date (${meta['next-review'] ?? 'none'}): review it and set the next date`,
      );
    }
  }
  return { name: 'every policy exists, is owned by a role and is within its review date', problems };
}

export function checkMapping(
  mapping: Mapping,
  model: ThreatModel,
  root: string,
  results: TestResult[] | undefined,
): CheckResult {
  const problems: string[] = [];
  const items = mappingItems(mapping);
  const requirementIds = mapping.requirements.map((r) => String(r.id));
  for (let n = 1; n <= 12; n++) {
    if (!requirementIds.includes(String(n))) problems.push(`requirement ${n} is missing from the mapping`);
  }
  const seen = new Set<string>();
  for (const r of mapping.requirements) {
    for (const s of r.sections) {
      if (!String(s.id).startsWith(`${r.id}.`)) problems.push(`section ${s.id} is filed under requirement ${r.id}`);
      if (Object.keys(s.items ?? {}).length === 0) problems.push(`section ${s.id} lists no sub-requirement`);
    }
  }
  for (const s of mapping.requirements.flatMap((r) => r.sections)) {
    for (const [id, raw] of Object.entries(s.items ?? {})) {
      for (const key of typeof raw === 'object' && raw !== null ? Object.keys(raw) : []) {
        if (!ITEM_KEYS.has(key)) problems.push(`${id} has an unknown key "${key}": quote a title that holds a comma`);
      }
    }
    for (const key of Object.keys(s.defaults ?? {})) {
      if (!ITEM_KEYS.has(key)) problems.push(`section ${s.id} defaults have an unknown key "${key}"`);
    }
  }
  const controls = new Map(model.controls.map((c) => [c.id, c]));
  for (const item of items) {
    const where = `${item.id}`;
    if (seen.has(item.id)) problems.push(`${where} appears twice`);
    seen.add(item.id);
    if (!item.id.startsWith(`${item.section}.`)) problems.push(`${where} is filed under section ${item.section}`);
    if (!item.title.trim()) problems.push(`${where} has no title`);
    if (!(APPLICABILITY as readonly string[]).includes(item.applicability)) {
      problems.push(`${where}: applicability "${item.applicability}" is not one of ${APPLICABILITY.join(', ')}`);
    }
    if (!(RESPONSIBILITY as readonly string[]).includes(item.responsibility)) {
      problems.push(`${where}: responsibility "${item.responsibility}" is not one of ${RESPONSIBILITY.join(', ')}`);
    }
    if (!(STATUS as readonly string[]).includes(item.status)) {
      problems.push(`${where}: status "${item.status}" is not one of ${STATUS.join(', ')}`);
    }
    if (!POLICIES.includes(item.policy)) problems.push(`${where}: policy "${item.policy}" is not a file in policies/`);
    const na = item.applicability === 'not-applicable';
    if (na !== (item.status === 'not-applicable')) {
      problems.push(`${where}: applicability and status must both be not-applicable, or neither`);
    }
    if (na && !item.reason?.trim()) problems.push(`${where} is not applicable: give the reason`);
    if ((item.status === 'partial' || item.status === 'planned') && !item.gap?.trim()) {
      problems.push(`${where} is ${item.status}: say what is missing (gap)`);
    }
    if (item.applicability === 'saq-a-eligibility' && item.status !== 'implemented') {
      problems.push(`${where} keeps SAQ A eligible and must be implemented, not ${item.status}`);
    }
    for (const id of item.controls) {
      if (!controls.has(id)) problems.push(`${where} names control ${id}, which the threat model does not have`);
    }
    if (item.status === 'implemented' || item.status === 'partial') {
      if (item.controls.length === 0) problems.push(`${where} is ${item.status} but names no control`);
      for (const id of item.controls) {
        const control = controls.get(id);
        if (!control) continue;
        for (const e of control.evidence) {
          const outcome = resolveEvidence(id, e, root, results);
          if (outcome.status === 'passed' || (outcome.status === 'not-run' && !results)) continue;
          problems.push(`${where} is ${item.status} through ${id}, whose evidence did not hold: ${outcome.detail}`);
        }
      }
    }
  }
  for (const must of ['6.4.3', '11.6.1']) {
    if (items.find((i) => i.id === must)?.applicability !== 'saq-a-eligibility') {
      problems.push(`${must} must be marked saq-a-eligibility (the script-attack condition of SAQ A)`);
    }
  }
  if (!/tokenizer/.test(mapping.scope) || !/never holds account data/.test(mapping.scope)) {
    problems.push('the scope statement must say that the tokenizer holds personal data and never holds account data');
  }
  return {
    name: 'the PCI DSS v4.0.1 mapping is complete and marks nothing implemented without passing evidence',
    problems,
  };
}

/** Counts for reports: items by status. */
export function mappingSummary(mapping: Mapping): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of mappingItems(mapping)) out[i.status] = (out[i.status] ?? 0) + 1;
  return out;
}
