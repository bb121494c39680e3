import { STRIDE, STRIDE_NAMES, type ThreatModel } from './types.js';

// Renders the model as threat-model/REPORT.md. Deterministic (no dates, no run results), so a
// test can regenerate it and fail on any difference with the committed file.

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const mermaidText = (s: string) => s.replace(/["<>]/g, '');

export function mermaidDiagram(model: ThreatModel): string {
  const lines = ['flowchart LR'];
  for (const b of model.boundaries) {
    const inside = model.components.filter((c) => c.boundaries[0] === b.id);
    if (inside.length === 0) continue;
    lines.push(`  subgraph ${mermaidId(b.id)}["${mermaidText(b.name)}"]`);
    for (const c of inside) {
      const shape = c.kind === 'compose-service' ? `["${mermaidText(c.name)}"]` : `(["${mermaidText(c.name)}"])`;
      lines.push(`    ${mermaidId(c.id)}${shape}`);
    }
    lines.push('  end');
  }
  for (const f of model.flows) {
    lines.push(`  ${mermaidId(f.from)} -->|"${mermaidText(`${f.id}: ${f.protocol}`)}"| ${mermaidId(f.to)}`);
  }
  return lines.join('\n');
}

export function renderReport(model: ThreatModel): string {
  const out: string[] = [];
  const name = (id: string) => model.components.find((c) => c.id === id)?.name ?? id;
  out.push(`# ${model.title}`, '');
  out.push(
    '_Generated from `threat-model/src/` by `npm run threat-model:report`; do not edit by hand. `npm test` regenerates it and fails on any difference, and checks the model against compose.yaml, the config schemas and the test results of the same run._',
    '',
  );
  const open = model.threats.filter((t) => t.status === 'open');
  out.push(
    `${model.components.length} components, ${model.flows.length} flows, ${model.threats.length} threats (${model.threats.filter((t) => t.status === 'mitigated').length} mitigated, ${model.threats.filter((t) => t.status === 'accepted').length} accepted, ${model.threats.filter((t) => t.status === 'transferred').length} transferred, ${open.length} open), ${model.controls.length} controls.`,
    '',
  );
  out.push('## Data-flow diagram', '', '```mermaid', mermaidDiagram(model), '```', '');
  out.push('## Data classes', '', '| id | data | held by | notes |', '| --- | --- | --- | --- |');
  for (const d of model.dataClasses)
    out.push(`| ${d.id} | ${esc(d.name)} | ${esc(d.heldBy.join('; '))} | ${esc(d.description)} |`);
  out.push('', '## Assets', '', '| id | asset | data classes | notes |', '| --- | --- | --- | --- |');
  for (const a of model.assets)
    out.push(`| ${a.id} | ${esc(a.name)} | ${a.dataClasses.join(', ')} | ${esc(a.description)} |`);
  out.push('', '## Actors', '', '| id | actor | trusted | notes |', '| --- | --- | --- | --- |');
  for (const a of model.actors)
    out.push(`| ${a.id} | ${esc(a.name)} | ${a.trusted ? 'yes' : 'no'} | ${esc(a.description)} |`);
  out.push('', '## Trust boundaries', '', '| id | boundary | compose network | notes |', '| --- | --- | --- | --- |');
  for (const b of model.boundaries)
    out.push(`| ${b.id} | ${esc(b.name)} | ${b.network ?? '—'} | ${esc(b.description)} |`);
  out.push(
    '',
    '## Components',
    '',
    '| id | component | kind | boundaries | notes |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const c of model.components) {
    const note = c.unbuilt ? `${c.description} **Not built:** ${c.unbuilt}` : c.description;
    out.push(`| ${c.id} | ${esc(c.name)} | ${c.kind} | ${c.boundaries.join(', ')} | ${esc(note)} |`);
  }
  out.push(
    '',
    '## Data flows',
    '',
    '| id | from | to | protocol | authentication | data classes | path |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const f of model.flows) {
    const undeployed = [f.from, f.to].some(
      (e) => model.components.find((c) => c.id === e)?.kind === 'undeployed-service',
    );
    const path = f.network
      ? `network ${f.network}`
      : f.volume
        ? `volume ${f.volume}`
        : undeployed
          ? 'not deployed yet'
          : 'internet';
    out.push(
      `| ${f.id} | ${esc(name(f.from))} | ${esc(name(f.to))} | ${esc(f.protocol)} | ${esc(f.authentication)} | ${f.dataClasses.join(', ')} | ${path} |`,
    );
  }
  out.push(
    '',
    '### Network paths compose allows that no flow uses',
    '',
    '| between | network | why it is harmless |',
    '| --- | --- | --- |',
  );
  for (const u of model.unusedPaths) out.push(`| ${u.between.join(' – ')} | ${u.network} | ${esc(u.reason)} |`);
  out.push(
    '',
    '### Outbound connections the code can configure',
    '',
    '| service | variable | kind | flow or reason unused |',
    '| --- | --- | --- | --- |',
  );
  for (const o of model.outbound)
    out.push(`| ${o.service} | \`${o.variable}\` | ${o.kind} | ${esc(o.flow ?? `unused: ${o.unused}`)} |`);

  out.push('', '## STRIDE per element', '');
  out.push(`| element | ${STRIDE.join(' | ')} |`, `| --- | ${STRIDE.map(() => '---').join(' | ')} |`);
  for (const e of [...model.components, ...model.flows]) {
    const cells = STRIDE.map((cat) => {
      const ids = model.threats.filter((t) => t.category === cat && t.appliesTo.includes(e.id)).map((t) => t.id);
      return ids.length > 0 ? ids.join(', ') : 'n/a';
    });
    out.push(`| ${e.id} | ${cells.join(' | ')} |`);
  }
  out.push('', '### Not applicable, with reasons', '', '| element | category | reason |', '| --- | --- | --- |');
  for (const e of [...model.components, ...model.flows]) {
    for (const cat of STRIDE) {
      const r = e.notApplicable?.[cat];
      if (r) out.push(`| ${e.id} | ${STRIDE_NAMES[cat]} | ${esc(r)} |`);
    }
  }
  out.push('', '## Threats', '');
  out.push('| id | category | threat | applies to | likelihood | impact | status | mitigations / disposition |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of model.threats) {
    let disposition = t.mitigations.join(', ');
    if (t.status === 'open') disposition = `${disposition ? `${disposition}; ` : ''}**remaining:** ${t.remaining}`;
    if (t.status === 'transferred') disposition = `to ${t.transferredTo}`;
    if (t.status === 'accepted' && t.acceptance) {
      disposition = `${disposition ? `${disposition}; ` : ''}accepted by ${t.acceptance.owner} until ${t.acceptance.expires}: ${t.acceptance.justification}`;
    }
    out.push(
      `| ${t.id} | ${STRIDE_NAMES[t.category]} | ${esc(t.title)} | ${t.appliesTo.join(', ')} | ${t.likelihood} | ${t.impact} | ${t.status} | ${esc(disposition)} |`,
    );
  }
  out.push('', '## Controls and their evidence', '');
  out.push(
    'A test evidence is every test (or suite) of the file whose name carries the control id in brackets, or, where it lists names, the tests of the file with exactly those names; each must pass in the run. A config evidence is a key with its expected value.',
    '',
    '| id | control | enforced in | evidence |',
    '| --- | --- | --- | --- |',
  );
  for (const c of model.controls) {
    const ev = c.evidence
      .map((e) =>
        e.kind === 'config'
          ? `config \`${e.file}\` \`${e.key}\` = \`${String(e.equals)}\``
          : e.kind === 'scan'
            ? `scan (${e.tool}) in \`${e.file}\``
            : e.names
              ? `test \`${e.file}\`: ${e.names.map((n) => `“${n}”`).join('; ')}`
              : `test \`${e.file}\``,
      )
      .join('<br>');
    out.push(`| ${c.id} | ${esc(c.name)} | ${c.enforcedIn.map((f) => `\`${f}\``).join(', ')} | ${ev} |`);
  }
  out.push('');
  return out.join('\n');
}
