/**
 * Where a bench child's CPU time goes: a V8 CPU profile (the `.cpuprofile` JSON that
 * `Profiler.stop` returns and Chrome DevTools opens), summarised as self time by group. A
 * group is a package (`node_modules/<pkg>`), one of our source files (`api/src/...`), a Node
 * internal module (`node:...`), a native function, V8 outside any JS function `(program)`, or
 * the garbage collector; idle time is left out of the busy time the shares are taken of.
 * The bench children are esbuild bundles without source maps; esbuild (not minified) opens each
 * module's code with a `// <source path>` line, so a function is attributed to the module whose
 * marker comes last before the line it is defined on.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the bench writes the raw profiles (.tmp/ is git-ignored). */
export const PROFILE_DIR = join(ROOT, '.tmp', 'bench-profiles');

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

/** The Profiler domain's Profile: times in microseconds; samples[i] is a node id, timeDeltas[i] the gap before it. */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export type Category = 'own' | 'package' | 'node' | 'native' | 'program' | 'gc' | 'other';

export const CATEGORY_LABELS: Record<Category, string> = {
  own: 'our code',
  package: 'packages',
  node: 'node internals',
  native: 'native functions',
  program: 'V8/C++ outside JS',
  gc: 'GC',
  other: 'other',
};

export interface ProfileGroup {
  name: string;
  category: Category;
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

/** One function (or native call, GC, V8) by self time. */
export interface ProfileFunction {
  /** `<function> <source file>`, `<function> node:<module>`, or the group's name for natives, GC and V8. */
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** Sampled wall time, first sample to the end of the profile. */
  totalMs: number;
  idleMs: number;
  busyMs: number;
  /** Every group, most self time first. */
  groups: ProfileGroup[];
  /** Every function, most self time first. */
  functions: ProfileFunction[];
  categories: Record<Category, number>;
}

/** What a bundle holds before its first module: esbuild's own helpers (__name, __toESM, ...). */
export const ESBUILD_HELPERS = '(esbuild runtime helpers)';

/** The source file a line of a script belongs to, when the script is a bundle; undefined otherwise. */
export type SourceOf = (url: string, lineNumber: number) => string | undefined;

/** The module markers of an esbuild bundle: 1-based line numbers with the source path each opens, in order. */
export function bundleModuleMarkers(text: string): { line: number; source: string }[] {
  const markers: { line: number; source: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ([\w@.\-/]+\.(?:[cm]?js|[cm]?ts|tsx|jsx|json))$/.exec(lines[i] as string);
    if (m) markers.push({ line: i + 1, source: m[1] as string });
  }
  return markers;
}

/** The source of each line of the file:// scripts, read once per script; scripts with no markers are not bundles. */
export function bundleSources(): SourceOf {
  const cache = new Map<string, { line: number; source: string }[]>();
  return (url, lineNumber) => {
    if (!url.startsWith('file://')) return undefined;
    let markers = cache.get(url);
    if (!markers) {
      try {
        markers = bundleModuleMarkers(readFileSync(fileURLToPath(url), 'utf8'));
      } catch {
        markers = [];
      }
      cache.set(url, markers);
    }
    if (markers.length === 0) return undefined;
    // The profile's lineNumber is 0-based; the markers are 1-based.
    const line = lineNumber + 1;
    let lo = 0;
    let hi = markers.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((markers[mid] as { line: number }).line <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? ESBUILD_HELPERS : (markers[found] as { source: string }).source;
  };
}

/** `node_modules/<pkg>` (scoped names kept whole, the innermost node_modules wins) of a path, or undefined. */
function packageOf(path: string): string | undefined {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const first = parts[at + 1] as string;
  const name = first.startsWith('@') && at + 2 < parts.length ? `${first}/${parts[at + 2]}` : first;
  return `node_modules/${name}`;
}

/** A function's name with where it is defined: its source file (node_modules/ left off), or its Node module. */
function functionLabel(frame: CpuProfileNode['callFrame'], sourceOf: SourceOf): string {
  const { functionName, url, lineNumber } = frame;
  const source =
    sourceOf(url, lineNumber) ??
    (url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)).split(sep).join('/') : url);
  const where = source.includes('node_modules/') ? source.slice(source.lastIndexOf('node_modules/') + 13) : source;
  return `${functionName || '(anonymous)'} ${where}`;
}

function groupOf(frame: CpuProfileNode['callFrame'], sourceOf: SourceOf): { name: string; category: Category } {
  const { functionName, url, lineNumber } = frame;
  if (functionName === '(garbage collector)') return { name: '(garbage collector)', category: 'gc' };
  if (functionName === '(program)') return { name: '(program)', category: 'program' };
  if (url === '') return { name: `native ${functionName || '(anonymous)'}`, category: 'native' };
  if (url.startsWith('node:')) return { name: url, category: 'node' };
  const source = sourceOf(url, lineNumber);
  if (source === ESBUILD_HELPERS) return { name: source, category: 'other' };
  const path = source ?? (url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)).split(sep).join('/') : url);
  const pkg = packageOf(path);
  if (pkg) return { name: pkg, category: 'package' };
  if (source !== undefined || url.startsWith('file://')) return { name: path, category: 'own' };
  return { name: url, category: 'other' };
}

/**
 * Self time by group. A sample lasts until the next one (the last until the profile's end), as
 * DevTools counts it; `(idle)` and `(root)` samples are idle time. A native function (a stream
 * write, a cipher update) is named with the nearest caller outside Node's internals, so a log
 * write and a TLS response write fall in different groups.
 */
export function summariseCpuProfile(profile: CpuProfile, sourceOf: SourceOf = bundleSources()): ProfileSummary {
  const { samples, timeDeltas } = profile;
  if (!samples || !timeDeltas || samples.length !== timeDeltas.length) {
    throw new Error('the CPU profile has no samples and timeDeltas of the same length');
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, CpuProfileNode>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n);
  const callerOf = (node: CpuProfileNode): string => {
    let throughNode = false;
    for (let up = parentOf.get(node.id); up; up = parentOf.get(up.id)) {
      const { url } = up.callFrame;
      if (url === '') continue;
      if (url.startsWith('node:')) {
        throughNode = true;
        continue;
      }
      return groupOf(up.callFrame, sourceOf).name;
    }
    return throughNode ? 'node internals' : 'no JS caller';
  };
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  const times: number[] = [];
  for (const delta of timeDeltas) {
    at += delta;
    times.push(at);
  }
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < times.length ? (times[i + 1] as number) : profile.endTime;
    const duration = Math.max(0, next - (times[i] as number));
    const id = samples[i] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + duration);
  }
  const groups = new Map<string, { category: Category; micros: number }>();
  const functions = new Map<string, number>();
  let idleMicros = 0;
  let totalMicros = 0;
  for (const [id, micros] of selfMicros) {
    totalMicros += micros;
    const node = byId.get(id);
    if (!node) throw new Error(`the CPU profile samples node ${id}, which it does not list`);
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(root)') {
      idleMicros += micros;
      continue;
    }
    const group = groupOf(node.callFrame, sourceOf);
    if (group.category === 'native') group.name += ` (from ${callerOf(node)})`;
    const entry = groups.get(group.name) ?? { category: group.category, micros: 0 };
    entry.micros += micros;
    groups.set(group.name, entry);
    const fn = ['native', 'gc', 'program'].includes(group.category)
      ? group.name
      : functionLabel(node.callFrame, sourceOf);
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const busyMicros = totalMicros - idleMicros;
  const categories: Record<Category, number> = { own: 0, package: 0, node: 0, native: 0, program: 0, gc: 0, other: 0 };
  const list: ProfileGroup[] = [...groups.entries()]
    .map(([name, { category, micros }]) => {
      categories[category] += micros / 1000;
      return { name, category, ms: micros / 1000, share: busyMicros > 0 ? micros / busyMicros : 0 };
    })
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  const byFunction: ProfileFunction[] = [...functions.entries()]
    .map(([name, micros]) => ({ name, ms: micros / 1000, share: busyMicros > 0 ? micros / busyMicros : 0 }))
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  return {
    totalMs: totalMicros / 1000,
    idleMs: idleMicros / 1000,
    busyMs: busyMicros / 1000,
    groups: list,
    functions: byFunction,
    categories,
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** What a profiled phase did, to print the busy time per unit (per order, per call). */
export interface PhaseWork {
  count: number;
  unit: string;
}

/** The summary as printed lines: totals, the busy time by kind, the top groups by self time and the rest, the hottest functions. */
export function formatProfileSummary(summary: ProfileSummary, top = 12, work?: PhaseWork): string[] {
  const { totalMs, busyMs, idleMs } = summary;
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  const perUnit =
    work && work.count > 0 ? ` = ${((busyMs * 1000) / work.count).toFixed(0)} µs per ${work.unit} (${work.count})` : '';
  const lines = [
    `${totalMs.toFixed(0)} ms sampled: ${busyMs.toFixed(0)} ms busy on the main thread (${percent(totalMs > 0 ? busyMs / totalMs : 0)})${perUnit}, ${idleMs.toFixed(0)} ms idle`,
    `busy by kind: ${(Object.entries(summary.categories) as [Category, number][])
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([c, ms]) => `${CATEGORY_LABELS[c]} ${percent(share(ms))}`)
      .join(', ')}`,
    `${'self ms'.padStart(9)} ${'% busy'.padStart(7)}  group (self time, top ${top})`,
  ];
  for (const g of summary.groups.slice(0, top)) {
    lines.push(
      `${g.ms.toFixed(1).padStart(9)} ${percent(g.share).padStart(7)}  ${g.name} [${CATEGORY_LABELS[g.category]}]`,
    );
  }
  const rest = summary.groups.slice(top);
  if (rest.length > 0) {
    const ms = rest.reduce((s, g) => s + g.ms, 0);
    lines.push(`${ms.toFixed(1).padStart(9)} ${percent(share(ms)).padStart(7)}  ${rest.length} other groups`);
  }
  lines.push(
    `hottest functions: ${summary.functions
      .slice(0, Math.ceil(top / 2))
      .map((f) => `${f.name} ${percent(f.share)}`)
      .join(', ')}`,
  );
  return lines;
}

/** Writes a profile under PROFILE_DIR as <name>-<time>.cpuprofile (name made file-safe) and returns its path relative to the repository. */
export async function saveCpuProfile(name: string, profile: CpuProfile): Promise<string> {
  await mkdir(PROFILE_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(PROFILE_DIR, `${name.replace(/[^\w.-]+/g, '-')}-${stamp}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  return relative(ROOT, file);
}

/** A bench child that can profile itself (bench/support/profile-on-request.ts answers these requests). */
export interface Profilable {
  name: string;
  start(): Promise<unknown>;
  stop(): Promise<CpuProfile>;
}

export interface ProfiledPhase<T> {
  result: T;
  /** Printed lines: for each child, where its profile is and its summary. */
  report: string[];
}

/**
 * Runs `work` with each child's profiler on (started before, stopped after), saves the
 * profiles as `<bench>-<child>-<time>.cpuprofile` and summarises them. Run it after the
 * measured phases: the sampling profiler costs CPU, so what it profiles is not what is reported.
 */
export async function profileWhile<T>(
  bench: string,
  children: Profilable[],
  work: () => Promise<T>,
  done?: (result: T) => PhaseWork,
): Promise<ProfiledPhase<T>> {
  for (const child of children) await child.start();
  const profiles: { name: string; profile: CpuProfile }[] = [];
  let result: T;
  try {
    result = await work();
  } finally {
    // Stopped even when the work failed, so no child is left sampling.
    for (const child of children) profiles.push({ name: child.name, profile: await child.stop() });
  }
  const report: string[] = [];
  for (const { name, profile } of profiles) {
    const path = await saveCpuProfile(`${bench}-${name}`, profile);
    report.push(
      `CPU profile of the ${name} (${path}, opens in Chrome DevTools; busy = sampled wall time ` +
        'outside the event-loop wait, so time spent waiting for a core counts):',
    );
    report.push(...formatProfileSummary(summariseCpuProfile(profile), 12, done?.(result)).map((l) => `  ${l}`));
  }
  return { result, report };
}

/** Whether the bench runs its profiled phase: BENCH_PROFILE=1 always, =0 never, unset when a target was missed. */
export function wantProfile(targetMissed: boolean): boolean {
  const setting = process.env.BENCH_PROFILE;
  if (setting === '1') return true;
  if (setting === '0') return false;
  return targetMissed;
}
