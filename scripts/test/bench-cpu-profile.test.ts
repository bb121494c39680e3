import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  bundleModuleMarkers,
  type CpuProfile,
  type CpuProfileNode,
  formatProfileSummary,
  summariseCpuProfile,
} from '../../bench/support/cpu-profile.js';

// The summariser of bench/support/cpu-profile.ts, which `npm run bench` prints next to a missed
// target to say where the time goes: on a small synthetic profile of a synthetic esbuild bundle,
// each group's self time and share of the busy time is known in advance.

const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// An esbuild bundle as scripts/build.mjs writes one (not minified): helpers, then one
// `// <source>` line before each module's code. Lines are 1-based here, 0-based in profiles.
const BUNDLE = [
  'var __name = (target, value) => target;', // 1: esbuild's own helpers
  '',
  '// node_modules/pg/lib/client.js', // 3
  'function connect() {}', // 4
  'function query() {}', // 5: the module's last line, right before the next marker
  '// node_modules/@fastify/error/index.js', // 6
  'function createError() {}', // 7
  '',
  '// node_modules/fastify/node_modules/light-my-request/index.js', // 9
  'function inject() {}', // 10
  '',
  '// api/src/routes/webhooks.ts', // 12
  'function handleWebhook() {}', // 13
  '// not a marker: a comment with spaces', // 14
  'function verify() {}', // 15
  '',
].join('\n');
const bundleFile = join(dir, 'server.js');
writeFileSync(bundleFile, BUNDLE);
const bundleUrl = pathToFileURL(bundleFile).href;

let nextId = 1;
function node(functionName: string, url = '', lineNumber = -1): CpuProfileNode {
  return { id: nextId++, callFrame: { functionName, scriptId: '0', url, lineNumber, columnNumber: 0 } };
}
const root = node('(root)');
const idle = node('(idle)');
const gc = node('(garbage collector)');
const program = node('(program)');
const writev = node('writev');
const hrtime = node('hrtime');
const streams = node('writeOrBuffer', 'node:internal/streams/writable', 400);
const afterWrite = node('afterWrite', 'node:internal/stream_base_commons', 10);
const helper = node('__name', bundleUrl, 0);
const query = node('query', bundleUrl, 4);
const createError = node('createError', bundleUrl, 6);
const inject = node('inject', bundleUrl, 9);
const handleWebhook = node('handleWebhook', bundleUrl, 12);
const verify = node('verify', bundleUrl, 14);
const nodes = [
  root,
  idle,
  gc,
  program,
  writev,
  hrtime,
  streams,
  afterWrite,
  helper,
  query,
  createError,
  inject,
  handleWebhook,
  verify,
];

/** Self time (ms) wanted per node, laid out as samples 1 ms apart. */
const wanted: [CpuProfileNode, number][] = [
  [idle, 50],
  [root, 10],
  [query, 30],
  [handleWebhook, 12],
  [verify, 8],
  [createError, 6],
  [inject, 4],
  [gc, 15],
  [program, 10],
  [writev, 9],
  [hrtime, 2],
  [streams, 3],
  [helper, 1],
];
// Callers: the route writes through a Node stream to the native writev; hrtime is called by
// Node's stream code alone; the rest hang off the root.
root.children = [idle, gc, program, helper, query, createError, inject, handleWebhook, verify, afterWrite].map(
  (n) => n.id,
);
handleWebhook.children = [streams.id];
streams.children = [writev.id];
afterWrite.children = [hrtime.id];
const samples: number[] = [];
for (const [n, ms] of wanted) for (let i = 0; i < ms; i++) samples.push(n.id);
// The first sample 0.5 ms after the start (that gap is before any sample and is not counted);
// each sample lasts until the next, the last one until endTime.
const startTime = 1_000_000;
const timeDeltas = samples.map((_, i) => (i === 0 ? 500 : 1000));
const profile: CpuProfile = {
  nodes,
  startTime,
  endTime: startTime + 500 + (samples.length - 1) * 1000 + 1000,
  samples,
  timeDeltas,
};

describe('bench CPU profile summary (bench/support/cpu-profile.ts)', () => {
  it('finds the module markers of an esbuild bundle, and only them', () => {
    assert.deepEqual(bundleModuleMarkers(BUNDLE), [
      { line: 3, source: 'node_modules/pg/lib/client.js' },
      { line: 6, source: 'node_modules/@fastify/error/index.js' },
      { line: 9, source: 'node_modules/fastify/node_modules/light-my-request/index.js' },
      { line: 12, source: 'api/src/routes/webhooks.ts' },
    ]);
  });

  it('groups self time by package, source file, node internal, native function (by its caller outside Node), V8 and GC, idle left out of the busy time', () => {
    const summary = summariseCpuProfile(profile);
    assert.equal(summary.totalMs, 160);
    assert.equal(summary.idleMs, 60);
    assert.equal(summary.busyMs, 100);
    const groups = summary.groups.map((g) => [g.name, g.category, g.ms, g.share]);
    assert.deepEqual(groups, [
      ['node_modules/pg', 'package', 30, 0.3],
      ['api/src/routes/webhooks.ts', 'own', 20, 0.2],
      ['(garbage collector)', 'gc', 15, 0.15],
      ['(program)', 'program', 10, 0.1],
      ['native writev (from api/src/routes/webhooks.ts)', 'native', 9, 0.09],
      ['node_modules/@fastify/error', 'package', 6, 0.06],
      ['node_modules/light-my-request', 'package', 4, 0.04],
      ['node:internal/streams/writable', 'node', 3, 0.03],
      ['native hrtime (from node internals)', 'native', 2, 0.02],
      ['(esbuild runtime helpers)', 'other', 1, 0.01],
    ]);
    assert.deepEqual(summary.categories, {
      own: 20,
      package: 40,
      node: 3,
      native: 11,
      program: 10,
      gc: 15,
      other: 1,
    });
    // Functions keep their own file: the route's two functions are apart, named with their source.
    assert.deepEqual(
      summary.functions.slice(0, 5).map((f) => [f.name, f.ms]),
      [
        ['query pg/lib/client.js', 30],
        ['(garbage collector)', 15],
        ['handleWebhook api/src/routes/webhooks.ts', 12],
        ['(program)', 10],
        ['native writev (from api/src/routes/webhooks.ts)', 9],
      ],
    );
  });

  it('prints the busy time per unit, the top groups with their shares, the rest in one line, and the hottest functions', () => {
    const lines = formatProfileSummary(summariseCpuProfile(profile), 3, { count: 50, unit: 'order' });
    assert.equal(
      lines[0],
      '160 ms sampled: 100 ms busy on the main thread (62.5%) = 2000 µs per order (50), 60 ms idle',
    );
    assert.equal(
      lines[1],
      'busy by kind: packages 40.0%, our code 20.0%, GC 15.0%, native functions 11.0%, V8/C++ outside JS 10.0%, node internals 3.0%, other 1.0%',
    );
    assert.deepEqual(lines.slice(3), [
      '     30.0   30.0%  node_modules/pg [packages]',
      '     20.0   20.0%  api/src/routes/webhooks.ts [our code]',
      '     15.0   15.0%  (garbage collector) [GC]',
      '     35.0   35.0%  7 other groups',
      'hottest functions: query pg/lib/client.js 30.0%, (garbage collector) 15.0%',
    ]);
  });

  it('refuses a profile without samples rather than summarising nothing', () => {
    assert.throws(() => summariseCpuProfile({ nodes, startTime, endTime: startTime + 1 }), /no samples/);
  });
});
