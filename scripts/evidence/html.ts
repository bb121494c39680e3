import type { CheckResult, EvidenceOutcome } from '../../threat-model/src/checks.js';
import { type Mapping, mappingItems } from '../../threat-model/src/pci-checks.js';
import { STRIDE, STRIDE_NAMES, type ThreatModel } from '../../threat-model/src/types.js';

// The evidence pack's report: one self-contained HTML page (no script, no external request)
// an assessor reads top to bottom: scope, the model and its diagram, the PCI DSS mapping with
// each requirement's evidence status, and the results by control with their evidence numbers.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Rows chosen so that no straight arrow runs through a box it does not join (a test holds
// the diagram to that; a search over rows found these once the deployment added the VPN and
// the one-shot jobs, and again for the egress proxy); a component not listed takes the next free row of its column.
const ROWS: Record<string, number> = {
  'shopper-browser': 0,
  stripe: 5,
  'smtp-relay': 0,
  'egress-proxy': 0,
  'staff-browser': 3,
  vpn: 5,
  gateway: 3,
  api: 3,
  'order-worker': 1,
  postgres: 2,
  redis: 3,
  rabbitmq: 4,
  'api-migrate': 5,
  'admin-portal-migrate': 0,
  'vault-tokenizer': 2,
  'tokenizer-db': 2,
  vault: 0,
  'vault-setup': 5,
  'admin-portal': 4,
};

const COL_W = 190;
const BOX_W = 150;
const BOX_H = 40;
const GAP_Y = 70;

export interface DiagramLayout {
  columns: ThreatModel['boundaries'];
  /** Top-left corner of each component's box. */
  boxes: Map<string, { x: number; y: number }>;
  width: number;
  height: number;
}

/** Where each box goes: one column per trust boundary, rows as ROWS says. */
export function diagramLayout(model: ThreatModel, rows: Record<string, number> = ROWS): DiagramLayout {
  const inUse = model.boundaries.filter((b) => model.components.some((c) => c.boundaries[0] === b.id));
  // Boundaries without a flow go last.
  const hasFlow = (b: { id: string }) =>
    model.flows.some((f) =>
      [f.from, f.to].some((e) => model.components.find((c) => c.id === e)?.boundaries[0] === b.id),
    );
  const columns = [...inUse.filter(hasFlow), ...inUse.filter((b) => !hasFlow(b))];
  const boxes = new Map<string, { x: number; y: number }>();
  let maxRows = 0;
  columns.forEach((b, ci) => {
    const taken = new Set<number>();
    for (const c of model.components.filter((c) => c.boundaries[0] === b.id)) {
      let row = rows[c.id] ?? 0;
      while (taken.has(row)) row++;
      taken.add(row);
      maxRows = Math.max(maxRows, row + 1);
      boxes.set(c.id, { x: 20 + ci * COL_W + (COL_W - BOX_W) / 2, y: 60 + row * (BOX_H + GAP_Y) });
    }
  });
  return { columns, boxes, width: 40 + columns.length * COL_W, height: 100 + maxRows * (BOX_H + GAP_Y) };
}

/** Whether the segment meets the rectangle (Liang-Barsky clipping). */
function segmentMeetsBox([x1, y1, x2, y2]: number[], [left, top, right, bottom]: number[]): boolean {
  let [t0, t1] = [0, 1];
  const dx = (x2 as number) - (x1 as number);
  const dy = (y2 as number) - (y1 as number);
  const edges: [number, number][] = [
    [-dx, (x1 as number) - (left as number)],
    [dx, (right as number) - (x1 as number)],
    [-dy, (y1 as number) - (top as number)],
    [dy, (bottom as number) - (y1 as number)],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/** The straight arrows of a layout that pass through a box they do not join (bent arrows excluded). */
export function arrowsThroughBoxes(model: ThreatModel, layout: DiagramLayout): string[] {
  const out: string[] = [];
  for (const f of model.flows) {
    const a = layout.boxes.get(f.from);
    const b = layout.boxes.get(f.to);
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = [a.x + BOX_W / 2, a.y + BOX_H / 2, b.x + BOX_W / 2, b.y + BOX_H / 2];
    if (x1 === x2 && Math.abs(y2 - y1) > BOX_H + GAP_Y) continue;
    for (const [id, p] of layout.boxes) {
      if (id === f.from || id === f.to) continue;
      if (segmentMeetsBox([x1, y1, x2, y2], [p.x - 2, p.y - 2, p.x + BOX_W + 2, p.y + BOX_H + 2])) {
        out.push(`${f.id} runs through ${id}`);
      }
    }
  }
  return out;
}

/** The data-flow diagram as inline SVG: one column per trust boundary, one box per component. */
export function diagramSvg(model: ThreatModel): string {
  const { columns, boxes: pos, width, height } = diagramLayout(model);
  const [colW, boxW, boxH, gapY] = [COL_W, BOX_W, BOX_H, GAP_Y];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Data-flow diagram">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#334"/></marker></defs>',
  ];
  columns.forEach((b, ci) => {
    const x = 20 + ci * colW;
    parts.push(
      `<rect x="${x + 4}" y="10" width="${colW - 8}" height="${height - 20}" rx="8" fill="${ci % 2 ? '#f3f6fb' : '#eef3f8'}" stroke="#9ab" stroke-dasharray="4 3"/>`,
      `<text x="${x + colW / 2}" y="32" text-anchor="middle" font-size="13" font-weight="bold" fill="#345">${esc(b.name)}</text>`,
    );
  });
  // Labels go where they cover no box and no other label: along their arrow, nearest its middle.
  const taken: number[][] = [...pos.values()].map((p) => [p.x, p.y, p.x + boxW, p.y + boxH]);
  const free = (r: number[]) =>
    !taken.some(
      (o) =>
        (r[0] as number) < (o[2] as number) &&
        (r[2] as number) > (o[0] as number) &&
        (r[1] as number) < (o[3] as number) &&
        (r[3] as number) > (o[1] as number),
    );
  const place = (text: string, candidates: [number, number][], anchor: 'start' | 'middle') => {
    const w = text.length * 5.6;
    const rectOf = ([x, y]: [number, number]) =>
      anchor === 'middle' ? [x - w / 2, y - 10, x + w / 2, y + 2] : [x, y - 10, x + w, y + 2];
    const at = candidates.find((c) => free(rectOf(c))) ?? (candidates[0] as [number, number]);
    taken.push(rectOf(at));
    return `<text x="${at[0].toFixed(1)}" y="${at[1].toFixed(1)}" text-anchor="${anchor}" font-size="10" fill="#226" stroke="#fff" stroke-width="3" paint-order="stroke">${text}</text>`;
  };
  for (const f of model.flows) {
    const a = pos.get(f.from);
    const b = pos.get(f.to);
    if (!a || !b) continue;
    const [x1, y1] = [a.x + boxW / 2, a.y + boxH / 2];
    const [x2, y2] = [b.x + boxW / 2, b.y + boxH / 2];
    // End the arrow at the edge of the target box rather than its centre.
    const dx = x2 - x1;
    const dy = y2 - y1;
    const t = Math.min(Math.abs(dx) > 0 ? boxW / 2 / Math.abs(dx) : 1, Math.abs(dy) > 0 ? boxH / 2 / Math.abs(dy) : 1);
    const title = `<title>${esc(`${f.id}: ${f.protocol}; ${f.authentication}`)}</title>`;
    const label = esc(f.id.replace(/^F-/, ''));
    if (dx === 0 && Math.abs(dy) > boxH + gapY) {
      // Same column, rows apart: bend right of the boxes in between.
      const [sx, sy, ex, ey] = [x1 + boxW / 2, y1, x2 + boxW / 2, y2];
      parts.push(
        `<path d="M${sx},${sy} Q${sx + 45},${(sy + ey) / 2} ${ex},${ey}" fill="none" stroke="#334" stroke-width="1.3" marker-end="url(#arrow)">${title}</path>`,
        place(
          label,
          [0, -14, 14, -28, 28, -42, 42].map((d): [number, number] => [sx + 24, (sy + ey) / 2 + d]),
          'start',
        ),
      );
      continue;
    }
    parts.push(
      `<line x1="${x1}" y1="${y1}" x2="${x2 - dx * t}" y2="${y2 - dy * t}" stroke="#334" stroke-width="1.3" marker-end="url(#arrow)">${title}</line>`,
      place(
        label,
        [
          ...[0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8].map((k): [number, number] => [x1 + dx * k, y1 + dy * k - 4]),
          // A short arrow between two boxes: above or below them.
          [x1 + dx / 2, y1 + dy / 2 - boxH / 2 - 4],
          [x1 + dx / 2, y1 + dy / 2 + boxH / 2 + 12],
        ],
        'middle',
      ),
    );
  }
  for (const c of model.components) {
    const p = pos.get(c.id);
    if (!p) continue;
    const fill = c.unbuilt ? '#fff4e0' : c.kind === 'compose-service' ? '#ffffff' : '#e8f4ea';
    parts.push(
      `<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="${c.kind === 'compose-service' ? 4 : 18}" fill="${fill}" stroke="#345"/>`,
      `<text x="${p.x + boxW / 2}" y="${p.y + boxH / 2 + 4}" text-anchor="middle" font-size="12">${esc(c.name)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * The counts of `npm test`'s output: one summary per run (the deployment test's first, then the
 * suite's), added up; undefined when the output holds none.
 */
export function suiteSummary(text: string): { tests: number; pass: number; fail: number } | undefined {
  const sum = (label: string) =>
    [...text.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  if (!/^ℹ tests \d+$/m.test(text)) return undefined;
  return { tests: sum('tests'), pass: sum('pass'), fail: sum('fail') };
}

export interface ControlStatus {
  id: string;
  name: string;
  passed: boolean;
  outcomes: EvidenceOutcome[];
  evidenceFiles: string[];
}

export interface ReportInput {
  model: ThreatModel;
  mapping: Mapping;
  controls: ControlStatus[];
  checks: CheckResult[];
  created: string;
  commit: string;
  suite: { tests: number; pass: number; fail: number } | undefined;
  evidence: { number: string; file: string; description: string; status?: string }[];
  fingerprint: string;
  /** The audit policy's verdict, shown beside the suite's. */
  audit: string;
  /** Set when the pack was made from a run finished earlier (--results). */
  reusedRun?: string;
}

const badge = (ok: boolean | undefined, yes = 'passed', no = 'failed') =>
  ok === undefined
    ? '<span class="b n">—</span>'
    : ok
      ? `<span class="b ok">${yes}</span>`
      : `<span class="b ko">${no}</span>`;

export function renderHtml(r: ReportInput): string {
  const byControl = new Map(r.controls.map((c) => [c.id, c]));
  const items = mappingItems(r.mapping);
  const counts = (key: 'status' | 'applicability') =>
    Object.entries(
      items.reduce<Record<string, number>>((acc, i) => {
        acc[i[key]] = (acc[i[key]] ?? 0) + 1;
        return acc;
      }, {}),
    )
      .map(([k, v]) => `${esc(k)}: ${v}`)
      .join(' · ');
  const failedChecks = r.checks.filter((c) => c.problems.length > 0);
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hardened-shop evidence pack</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1b2430;padding:0 1rem}
h1{font-size:1.7rem}h2{border-bottom:2px solid #d5dde8;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}td,th{border:1px solid #d5dde8;padding:.3rem .45rem;vertical-align:top;text-align:left}
th{background:#eef3f8}.b{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;font-weight:600}
.ok{background:#d8f3dc;color:#1b5e20}.ko{background:#fde2e1;color:#8a1c1c}.n{background:#eceff3;color:#555}.w{background:#fff1d6;color:#7a4b00}
.summary{display:grid;grid-template-columns:repeat(5,1fr);gap:.8rem}.card{border:1px solid #d5dde8;border-radius:.5rem;padding:.7rem}
.card b{display:block;font-size:1.5rem}code{background:#f2f4f7;padding:0 .2rem;border-radius:.2rem}pre{white-space:pre-wrap}
</style></head><body>`);
  out.push(`<h1>hardened-shop — evidence pack</h1>
<p>Created ${esc(r.created)} from commit <code>${esc(r.commit)}</code>${r.reusedRun ? `, with the test results of a run finished earlier (<code>${esc(r.reusedRun)}</code>)` : ''}. Every file cited below by number (<b>E01</b>, <b>E02</b>, …) is in
<code>evidence/</code>, listed with its SHA-256 in <code>manifest.json</code>, which is signed with Ed25519
(public key fingerprint <code>${esc(r.fingerprint)}</code>). Check the pack with
<code>npm run evidence:verify -- &lt;this folder&gt; --public-key &lt;key you received separately&gt;</code>.</p>`);
  const controlsPassed = r.controls.filter((c) => c.passed).length;
  out.push(`<div class="summary">
<div class="card">test suite<b>${r.suite ? `${r.suite.pass}/${r.suite.tests}` : '—'}</b>${r.suite ? badge(r.suite.fail === 0, 'all passed', `${r.suite.fail} failed`) : 'not parsed'}</div>
<div class="card">model and mapping checks<b>${r.checks.length - failedChecks.length}/${r.checks.length}</b>${badge(failedChecks.length === 0, 'all passed', `${failedChecks.length} failed`)}</div>
<div class="card">controls with passing evidence<b>${controlsPassed}/${r.controls.length}</b>${badge(controlsPassed === r.controls.length)}</div>
<div class="card">dependency audit (E12)<b>${/^pass/.test(r.audit) ? 'pass' : 'FAIL'}</b>${badge(/^pass/.test(r.audit), 'policy met', esc(r.audit))}</div>
<div class="card">threats<b>${r.model.threats.length}</b>${r.model.threats.filter((t) => t.status === 'open').length} open · ${r.model.threats.filter((t) => t.status === 'accepted').length} accepted</div>
</div>`);
  out.push(
    '<h2>1. Scope</h2>',
    `<p>${esc(r.mapping.scope)
      .replace(/\n\s*\n/g, '</p><p>')
      .replace(/\n/g, ' ')}</p>`,
  );
  out.push('<h2>2. Threat model</h2><h3>Data-flow diagram</h3>', diagramSvg(r.model));
  out.push(
    '<p>Rounded boxes are outside our deployment (browsers, Stripe); orange boxes are not built, only partly built, or not deployed yet (see their notes). Hover an arrow for its protocol and authentication.</p>',
  );
  out.push('<h3>Components</h3><table><tr><th>id</th><th>component</th><th>boundaries</th><th>notes</th></tr>');
  for (const c of r.model.components) {
    out.push(
      `<tr><td>${esc(c.id)}</td><td>${esc(c.name)}</td><td>${esc(c.boundaries.join(', '))}</td><td>${esc(c.description)}${c.unbuilt ? ` <span class="b w">not built</span> ${esc(c.unbuilt)}` : ''}</td></tr>`,
    );
  }
  out.push(
    '</table><h3>Data flows</h3><table><tr><th>id</th><th>from → to</th><th>protocol</th><th>authentication</th><th>data</th></tr>',
  );
  for (const f of r.model.flows) {
    out.push(
      `<tr><td>${esc(f.id)}</td><td>${esc(f.from)} → ${esc(f.to)}</td><td>${esc(f.protocol)}</td><td>${esc(f.authentication)}</td><td>${esc(f.dataClasses.join(', '))}</td></tr>`,
    );
  }
  out.push(
    '</table><h3>Threats (STRIDE)</h3><table><tr><th>id</th><th>category</th><th>threat</th><th>L/I</th><th>status</th><th>controls</th></tr>',
  );
  for (const t of r.model.threats) {
    const ctl = t.mitigations
      .map((m) => `${esc(m)} ${byControl.get(m) ? badge(byControl.get(m)?.passed) : ''}`)
      .join('<br>');
    const status =
      t.status === 'open'
        ? `<span class="b w">open</span> ${esc(t.remaining ?? '')}`
        : t.status === 'accepted'
          ? `<span class="b w">accepted</span> by ${esc(t.acceptance?.owner ?? '')} until ${esc(t.acceptance?.expires ?? '')}`
          : t.status === 'transferred'
            ? `transferred: ${esc(t.transferredTo ?? '')}`
            : '<span class="b ok">mitigated</span>';
    out.push(
      `<tr><td>${esc(t.id)}</td><td>${STRIDE_NAMES[t.category]}</td><td>${esc(t.title)}<br><small>${esc(t.appliesTo.join(', '))}</small></td><td>${t.likelihood}/${t.impact}</td><td>${status}</td><td>${ctl}</td></tr>`,
    );
  }
  out.push(
    `</table><p>Every component and flow addresses all of ${STRIDE.map((s) => STRIDE_NAMES[s]).join(', ')}: a threat or a stated reason (threat-model/REPORT.md).</p>`,
  );
  out.push(
    `<h2>3. PCI DSS v4.0.1 mapping</h2><p>${items.length} sub-requirements. By status: ${counts('status')}. By applicability: ${counts('applicability')}.</p>`,
  );
  out.push(
    '<table><tr><th>req.</th><th>title</th><th>applicability</th><th>responsibility</th><th>status</th><th>controls and evidence</th><th>policy</th></tr>',
  );
  for (const i of items) {
    const ctl = i.controls.map((c) => `${esc(c)} ${badge(byControl.get(c)?.passed)}`).join('<br>');
    const note = i.reason ?? i.gap ?? '';
    out.push(
      `<tr><td>${esc(i.id)}</td><td>${esc(i.title)}${note ? `<br><small>${esc(note)}</small>` : ''}</td><td>${esc(i.applicability)}</td><td>${esc(i.responsibility)}</td><td>${esc(i.status)}</td><td>${ctl}</td><td>${esc(i.policy)}</td></tr>`,
    );
  }
  out.push(
    '</table><h2>4. Results by control</h2><table><tr><th>control</th><th>result</th><th>evidence</th><th>files</th></tr>',
  );
  for (const c of r.controls) {
    out.push(
      `<tr><td><b>${esc(c.id)}</b> ${esc(c.name)}</td><td>${badge(c.passed)}</td><td>${c.outcomes.map((o) => `${esc(o.status)}: ${esc(o.detail)}`).join('<br>')}</td><td>${esc(c.evidenceFiles.join(', '))}</td></tr>`,
    );
  }
  out.push('</table><h2>5. Checks of this run</h2><table><tr><th>check</th><th>result</th><th>problems</th></tr>');
  for (const c of r.checks) {
    out.push(
      `<tr><td>${esc(c.name)}</td><td>${badge(c.problems.length === 0)}</td><td>${c.problems.map(esc).join('<br>')}</td></tr>`,
    );
  }
  out.push(
    '</table><h2>6. Evidence files</h2><table><tr><th>no.</th><th>file</th><th>what it shows</th><th>result</th></tr>',
  );
  for (const e of r.evidence) {
    out.push(
      `<tr><td>${esc(e.number)}</td><td><code>${esc(e.file)}</code></td><td>${esc(e.description)}</td><td>${e.status ? esc(e.status) : ''}</td></tr>`,
    );
  }
  out.push('</table></body></html>\n');
  return out.join('\n');
}
