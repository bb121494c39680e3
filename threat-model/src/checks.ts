import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Evidence, STRIDE, STRIDE_NAMES, type ThreatModel } from './types.js';

// The model checks: the threat model held to compose.yaml, the services' config schemas and
// the test results of the run that executes them. Each check returns the problems it found,
// each problem saying what to add or change. Tests run them on broken copies of the inputs.

export interface ComposeService {
  networks?: string[] | Record<string, unknown>;
  ports?: unknown[];
  environment?: Record<string, string>;
  volumes?: (string | { source?: string })[];
}
export interface Compose {
  services: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
}

/** One finished test or suite, as scripts/lib/results-reporter.mjs writes it. */
export interface TestResult {
  name: string;
  /** Path relative to the repository root. */
  file: string;
  outcome: 'passed' | 'failed' | 'skipped';
}

export interface CheckInput {
  model: ThreatModel;
  compose: Compose;
  /** Each node service's config schema variables (compose service name -> variable names). */
  schemaVariables: Record<string, string[]>;
  /** The results of this run; absent when only the static checks run (a filtered run). */
  results?: TestResult[];
  root: string;
  /** YYYY-MM-DD */
  today: string;
}

export interface CheckResult {
  name: string;
  problems: string[];
}

/** Variables through which a config schema configures an outbound connection. */
export const CONNECTION_VARIABLES: Record<string, string> = {
  DATABASE_URL: 'database',
  DATABASE_MIGRATION_URL: 'database',
  WORKER_DATABASE_URL: 'database',
  TOKENIZER_DATABASE_URL: 'database',
  TOKENIZER_RUNTIME_DATABASE_URL: 'database',
  ADMIN_DATABASE_URL: 'database',
  ADMIN_RUNTIME_DATABASE_URL: 'database',
  ADMIN_TOKENIZER_URL: 'tokenizer',
  ADMIN_STRIPE_SECRET_KEY: 'stripe',
  REDIS_URL: 'redis',
  AMQP_URL: 'amqp',
  VAULT_ADDR: 'vault',
  TOKENIZER_URL: 'tokenizer',
  STRIPE_SECRET_KEY: 'stripe',
  STRIPE_API_HOST: 'stripe',
  SMTP_URL: 'smtp',
  // The egress proxy each of those two goes through in compose (F-api-egress, F-worker-egress).
  STRIPE_PROXY_URL: 'stripe',
  SMTP_PROXY_URL: 'smtp',
};
const OUTBOUND_KINDS = ['database', 'redis', 'amqp', 'vault', 'tokenizer', 'stripe', 'smtp'];
/** A schema variable shaped like a connection setting must be classified above. */
const LOOKS_LIKE_CONNECTION = /(_URL|_ADDR|_API_HOST)$|^SMTP/;

export function networksOf(service: ComposeService | undefined): string[] {
  const n = service?.networks ?? [];
  return Array.isArray(n) ? n : Object.keys(n);
}

function volumesOf(service: ComposeService | undefined): string[] {
  return (service?.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[0] as string) : (v.source ?? '')));
}

function componentOfService(model: ThreatModel, service: string): string | undefined {
  return model.components.find((c) => c.composeService === service)?.id;
}

export function checkServices({ model, compose }: CheckInput): CheckResult {
  const problems: string[] = [];
  for (const name of Object.keys(compose.services)) {
    if (!componentOfService(model, name)) {
      problems.push(
        `compose service "${name}" is not in the threat model: add a component with composeService: '${name}' to threat-model/src/model.ts, its flows, and its STRIDE threats`,
      );
    }
  }
  for (const c of model.components) {
    if (c.kind === 'compose-service' && !(c.composeService && c.composeService in compose.services)) {
      problems.push(`component ${c.id} names compose service "${c.composeService}", which compose.yaml does not have`);
    }
    if (c.kind === 'undeployed-service') {
      if (!c.composeService) problems.push(`component ${c.id} is an undeployed service: name its composeService`);
      else if (c.composeService in compose.services) {
        problems.push(
          `compose.yaml now runs "${c.composeService}": make component ${c.id} a compose-service, drop its unbuilt note, and give its flows the networks compose puts them on`,
        );
      }
      if (!c.unbuilt?.trim())
        problems.push(`component ${c.id} is an undeployed service: say in unbuilt what is missing`);
    }
  }
  return { name: 'every compose service is a component', problems };
}

export function checkNetworkPaths({ model, compose }: CheckInput): CheckResult {
  const problems: string[] = [];
  const services = compose.services;
  const byService = new Map(model.components.map((c) => [c.id, c.composeService]));
  const same = (a: [string, string], b: [string, string]) =>
    (a[0] === b[0] && a[1] === b[1]) || (a[0] === b[1] && a[1] === b[0]);
  const networks = new Set(Object.values(services).flatMap(networksOf));
  for (const network of [...networks].sort()) {
    const members = Object.keys(services)
      .filter((s) => networksOf(services[s]).includes(network))
      .sort();
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const pair: [string, string] = [members[i] as string, members[j] as string];
        const flow = model.flows.some((f) => {
          const ends: [string, string] = [byService.get(f.from) ?? '', byService.get(f.to) ?? ''];
          return f.network === network && same(ends, pair);
        });
        const unused = model.unusedPaths.some((u) => u.network === network && same(u.between, pair) && u.reason.trim());
        if (!flow && !unused) {
          problems.push(
            `compose lets ${pair[0]} and ${pair[1]} reach each other on network "${network}": model a flow between them with network: '${network}', or add it to unusedPaths with the reason nothing uses it`,
          );
        }
      }
    }
  }
  const undeployed = new Set(model.components.filter((c) => c.kind === 'undeployed-service').map((c) => c.id));
  for (const f of model.flows) {
    // A service compose does not run has no network path yet: checkServices says when it has.
    if (undeployed.has(f.from) || undeployed.has(f.to)) continue;
    const a = byService.get(f.from);
    const b = byService.get(f.to);
    if (f.network) {
      if (!a || !b) {
        problems.push(`flow ${f.id} names network "${f.network}" but does not join two compose services`);
      } else if (!networksOf(services[a]).includes(f.network) || !networksOf(services[b]).includes(f.network)) {
        problems.push(`flow ${f.id}: compose does not put both ${a} and ${b} on network "${f.network}"`);
      }
    } else if (f.volume) {
      for (const s of [a, b]) {
        if (!s || !volumesOf(services[s]).includes(f.volume)) {
          problems.push(`flow ${f.id}: ${s ?? f.from} does not mount volume "${f.volume}" in compose.yaml`);
        }
      }
    } else if (a && b) {
      problems.push(`flow ${f.id} joins two compose services: name the network (or the volume) it goes through`);
    }
  }
  for (const u of model.unusedPaths) {
    const [a, b] = u.between;
    if (!networksOf(services[a]).includes(u.network) || !networksOf(services[b]).includes(u.network)) {
      problems.push(
        `unusedPaths entry ${a}/${b} on "${u.network}" is stale: compose does not put both on it; remove it`,
      );
    }
  }
  for (const [name, s] of Object.entries(services)) {
    if ((s.ports ?? []).length === 0) continue;
    const id = componentOfService(model, name);
    const inbound = model.flows.some(
      (f) => f.to === id && model.components.find((c) => c.id === f.from)?.kind !== 'compose-service',
    );
    if (!inbound) {
      problems.push(
        `${name} publishes a port: model the flow that reaches it from outside (a browser or an external service)`,
      );
    }
  }
  return { name: 'every network path compose allows is a flow or marked unused', problems };
}

export function checkOutbound({ model, compose, schemaVariables }: CheckInput): CheckResult {
  const problems: string[] = [];
  for (const [service, variables] of Object.entries(schemaVariables)) {
    const env = compose.services[service]?.environment ?? {};
    for (const variable of variables) {
      const kind = CONNECTION_VARIABLES[variable];
      if (!kind) {
        if (LOOKS_LIKE_CONNECTION.test(variable)) {
          problems.push(
            `${service} reads ${variable}, which looks like an outbound connection: classify it in CONNECTION_VARIABLES (threat-model/src/checks.ts) and model it in outbound`,
          );
        }
        continue;
      }
      const entry = model.outbound.find((o) => o.service === service && o.variable === variable);
      const setByCompose = variable in env || `${variable}_FILE` in env;
      if (!entry) {
        problems.push(
          `${service} can connect out through ${variable} (${kind}): add an outbound entry naming its flow, or marking it unused with a reason`,
        );
        continue;
      }
      if (entry.unused !== undefined && setByCompose) {
        problems.push(`${service}.${variable} is marked unused, but compose.yaml sets it: model the flow instead`);
      }
    }
  }
  for (const o of model.outbound) {
    if (o.flow) {
      const flow = model.flows.find((f) => f.id === o.flow);
      if (!flow) problems.push(`outbound ${o.service}.${o.variable} names flow ${o.flow}, which does not exist`);
      else if (flow.from !== componentOfService(model, o.service)) {
        problems.push(`outbound ${o.service}.${o.variable}: flow ${o.flow} does not start at ${o.service}`);
      }
    } else if (!o.unused?.trim()) {
      problems.push(`outbound ${o.service}.${o.variable} has neither a flow nor a reason it is unused`);
    }
    const read = schemaVariables[o.service]?.includes(o.variable) ?? false;
    if (!read && o.flow) {
      problems.push(
        `outbound ${o.service}.${o.variable} names a flow, but ${o.service}'s config schema does not read ${o.variable}`,
      );
    }
  }
  for (const kind of OUTBOUND_KINDS) {
    if (!model.outbound.some((o) => o.kind === kind)) {
      problems.push(`no outbound entry of kind ${kind}: say which service uses it, or that none does and why`);
    }
  }
  return { name: 'every outbound connection the code configures is a flow or marked unused', problems };
}

export function checkStride({ model }: CheckInput): CheckResult {
  const problems: string[] = [];
  const elements = [...model.components, ...model.flows];
  for (const e of elements) {
    for (const cat of STRIDE) {
      const threats = model.threats.filter((t) => t.category === cat && t.appliesTo.includes(e.id));
      const na = e.notApplicable?.[cat]?.trim();
      if (threats.length === 0 && !na) {
        problems.push(
          `${e.id} does not address ${STRIDE_NAMES[cat]} (${cat}): add a threat with category '${cat}' applying to it, or notApplicable.${cat} with the reason`,
        );
      }
      if (threats.length > 0 && na) {
        problems.push(
          `${e.id} has ${cat} threats (${threats.map((t) => t.id).join(', ')}) and marks ${cat} not applicable: keep one`,
        );
      }
    }
  }
  return { name: 'every element and flow addresses all six STRIDE categories', problems };
}

export function checkIds({ model }: CheckInput): CheckResult {
  const problems: string[] = [];
  const all = [
    ...model.dataClasses,
    ...model.assets,
    ...model.actors,
    ...model.boundaries,
    ...model.components,
    ...model.flows,
    ...model.controls,
    ...model.threats,
  ].map((x) => x.id);
  const seen = new Set<string>();
  for (const id of all) {
    if (seen.has(id)) problems.push(`id ${id} is used twice`);
    seen.add(id);
  }
  const has = (list: { id: string }[], id: string) => list.some((x) => x.id === id);
  const elements = [...model.components, ...model.flows];
  for (const a of model.assets) {
    for (const d of a.dataClasses)
      if (!has(model.dataClasses, d)) problems.push(`asset ${a.id} names unknown data class ${d}`);
  }
  for (const c of model.components) {
    for (const b of c.boundaries)
      if (!has(model.boundaries, b)) problems.push(`component ${c.id} names unknown boundary ${b}`);
  }
  for (const b of model.boundaries) {
    if (b.network && !model.components.some((c) => c.boundaries.includes(b.id)) && b.network !== 'admin') {
      problems.push(`boundary ${b.id} holds no component`);
    }
  }
  for (const f of model.flows) {
    for (const end of [f.from, f.to])
      if (!has(model.components, end)) problems.push(`flow ${f.id} names unknown component ${end}`);
    for (const d of f.dataClasses)
      if (!has(model.dataClasses, d)) problems.push(`flow ${f.id} names unknown data class ${d}`);
  }
  for (const t of model.threats) {
    for (const e of t.appliesTo) if (!has(elements, e)) problems.push(`threat ${t.id} applies to unknown element ${e}`);
    for (const m of t.mitigations)
      if (!has(model.controls, m)) problems.push(`threat ${t.id} names unknown control ${m}`);
  }
  for (const u of model.unusedPaths) {
    for (const s of u.between) {
      if (!model.components.some((c) => c.composeService === s))
        problems.push(`unusedPaths names unknown service ${s}`);
    }
  }
  return { name: 'no dangling or duplicate ids', problems };
}

export function checkThreatStatus({ model, today }: CheckInput): CheckResult {
  const problems: string[] = [];
  for (const t of model.threats) {
    if (t.status === 'mitigated' && t.mitigations.length === 0) {
      problems.push(`threat ${t.id} is mitigated but names no control: add the controls that mitigate it`);
    }
    if (t.status === 'open' && !t.remaining?.trim()) problems.push(`threat ${t.id} is open: say what remains to do`);
    if (t.status === 'transferred' && !t.transferredTo?.trim()) {
      problems.push(`threat ${t.id} is transferred: say to whom and which policy checks them`);
    }
    if (t.status === 'accepted') {
      const a = t.acceptance;
      if (!a) {
        problems.push(`threat ${t.id} is accepted without an acceptance: add justification, owner (a role) and expiry`);
        continue;
      }
      if (!a.justification?.trim()) problems.push(`accepted risk ${t.id} has no justification`);
      if (!model.roles.includes(a.owner)) {
        problems.push(
          `accepted risk ${t.id} is owned by "${a.owner}", which is not a role of the model (${model.roles.join(', ')})`,
        );
      }
      if (!/^\d{4}-\d{2}-\d{2}$/.test(a.expires ?? '')) {
        problems.push(`accepted risk ${t.id} has no expiry date (YYYY-MM-DD)`);
      } else if (a.expires <= today) {
        problems.push(
          `accepted risk ${t.id} expired on ${a.expires}: review it, then mitigate it or renew the acceptance with a new expiry`,
        );
      }
    }
  }
  return {
    name: 'threat statuses are complete; accepted risks carry justification, owner and a live expiry',
    problems,
  };
}

/** Reads a dotted key (`a.b[0].c`) of a YAML or JSON file, or a directive of an nginx file. */
export function readConfigKey(root: string, file: string, key: string): { found: boolean; value?: unknown } {
  const path = join(root, file);
  if (!existsSync(path)) return { found: false };
  const text = readFileSync(path, 'utf8');
  if (file.endsWith('.conf')) {
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`^\\s*${escaped}\\s+([^;]*);`, 'm').exec(text);
    return match ? { found: true, value: match[1]?.trim() } : { found: false };
  }
  let value: unknown = file.endsWith('.json') ? JSON.parse(text) : parse(text, { merge: true });
  for (const part of key.split(/\.(?![^[]*\])/)) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return { found: false };
    const steps: (string | number)[] = [
      m[1] as string,
      ...[...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])),
    ];
    for (const step of steps) {
      if (value === null || typeof value !== 'object' || !(step in (value as object))) return { found: false };
      value = (value as Record<string | number, unknown>)[step];
    }
  }
  return { found: true, value };
}

export type EvidenceStatus = 'passed' | 'failed' | 'missing' | 'not-run';

export interface EvidenceOutcome {
  status: EvidenceStatus;
  detail: string;
}

/** Evidence cited by test name: each named test of the file exists, ran and passed. */
function resolveNamedTests(
  file: string,
  names: string[],
  root: string,
  results: TestResult[] | undefined,
): EvidenceOutcome {
  if (names.length === 0) return { status: 'missing', detail: `${file}: the evidence names no test` };
  const text = readFileSync(join(root, file), 'utf8');
  const absent = names.filter((n) => !text.includes(n));
  if (absent.length > 0) {
    return {
      status: 'missing',
      detail: `${file} has no test named ${absent.map((n) => `"${n}"`).join(', ')}: cite the test's current name`,
    };
  }
  if (!results)
    return { status: 'not-run', detail: `${file}: ${names.length} named test(s), not run in this (partial) run` };
  const problems: string[] = [];
  for (const n of names) {
    const mine = results.filter((r) => r.file === file && r.name === n);
    if (mine.length === 0) problems.push(`"${n}" did not run`);
    for (const r of mine) if (r.outcome !== 'passed') problems.push(`"${n}" ${r.outcome}`);
  }
  if (problems.length > 0) {
    const ran = problems.every((p) => p.endsWith('did not run')) ? 'not-run' : 'failed';
    return { status: ran, detail: `${problems.join('; ')} (${file})` };
  }
  return { status: 'passed', detail: `${names.length} named test(s) of ${file} passed` };
}

/** Whether one piece of a control's evidence holds in this run (or, without results, statically). */
export function resolveEvidence(
  controlId: string,
  evidence: Evidence,
  root: string,
  results: TestResult[] | undefined,
): EvidenceOutcome {
  if (evidence.kind === 'config') {
    const { found, value } = readConfigKey(root, evidence.file, evidence.key);
    if (!found) return { status: 'missing', detail: `${evidence.file} has no key ${evidence.key}` };
    return String(value) === String(evidence.equals)
      ? { status: 'passed', detail: `${evidence.file} ${evidence.key} = ${String(value)}` }
      : {
          status: 'failed',
          detail: `${evidence.file} ${evidence.key} is ${JSON.stringify(value)}, expected ${JSON.stringify(evidence.equals)}`,
        };
  }
  const tag = `[${controlId}]`;
  const what = evidence.kind === 'scan' ? `the ${evidence.tool} scan in ${evidence.file}` : evidence.file;
  if (!existsSync(join(root, evidence.file))) {
    return { status: 'missing', detail: `${evidence.file} does not exist` };
  }
  if (evidence.kind === 'test' && evidence.names)
    return resolveNamedTests(evidence.file, evidence.names, root, results);
  if (!readFileSync(join(root, evidence.file), 'utf8').includes(tag)) {
    return {
      status: 'missing',
      detail: `no test in ${evidence.file} carries ${tag} in its name: add ${tag} to the name of the test (or describe) that proves ${controlId}`,
    };
  }
  if (!results) return { status: 'not-run', detail: `${what}: named ${tag}, not run in this (partial) run` };
  const mine = results.filter((r) => r.file === evidence.file && r.name.includes(tag));
  if (mine.length === 0) {
    return { status: 'not-run', detail: `no test of ${evidence.file} named ${tag} ran in this run` };
  }
  const bad = mine.filter((r) => r.outcome !== 'passed');
  if (bad.length > 0) {
    return {
      status: 'failed',
      detail: `${bad.map((r) => `"${r.name}" ${r.outcome}`).join('; ')} (${evidence.file})`,
    };
  }
  return { status: 'passed', detail: `${mine.length} test(s) of ${evidence.file} named ${tag} passed` };
}

export function checkEvidence({ model, root, results }: CheckInput): CheckResult {
  const problems: string[] = [];
  const used = new Set(model.threats.filter((t) => t.status !== 'transferred').flatMap((t) => t.mitigations));
  for (const c of model.controls) {
    if (c.evidence.length === 0) problems.push(`control ${c.id} names no evidence: add a test, a config key or a scan`);
    for (const e of c.evidence) {
      const outcome = resolveEvidence(c.id, e, root, results);
      // Without results (a filtered run) only what can be seen statically is checked.
      if (outcome.status === 'passed' || (outcome.status === 'not-run' && !results)) continue;
      problems.push(`control ${c.id}${used.has(c.id) ? '' : ' (no threat cites it)'}: ${outcome.detail}`);
    }
  }
  return {
    name: results
      ? "every mitigation's evidence passed in this run or holds in its config file"
      : "every mitigation's evidence exists (test names and config keys; pass status needs a full run)",
    problems,
  };
}

export function runModelChecks(input: CheckInput): CheckResult[] {
  return [
    checkServices(input),
    checkNetworkPaths(input),
    checkOutbound(input),
    checkStride(input),
    checkIds(input),
    checkThreatStatus(input),
    checkEvidence(input),
  ];
}
