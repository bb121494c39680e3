import type { TestResult } from '../../src/checks.js';
import type { ThreatModel } from '../../src/types.js';

/**
 * Results in which every test evidence the model names passed, as a full green run would
 * write them: one passing test per tagged file, or each named test where the evidence names them.
 */
export function passingResults(model: ThreatModel): TestResult[] {
  return model.controls.flatMap((c) =>
    c.evidence.flatMap((e) => {
      if (e.kind === 'config') return [];
      const names = e.kind === 'test' && e.names ? e.names : [`[${c.id}] suite`];
      return names.map((name) => ({ name, file: e.file, outcome: 'passed' as const }));
    }),
  );
}
