import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type CheckInput,
  type CheckResult,
  checkEvidence,
  checkIds,
  checkNetworkPaths,
  checkOutbound,
  checkServices,
  checkStride,
  checkThreatStatus,
  runModelChecks,
  type TestResult,
} from '../src/checks.js';
import { ROOT, readResults, repositoryInput } from '../src/inputs.js';
import { model } from '../src/model.js';
import { renderReport } from '../src/report.js';
import type { ThreatModel } from '../src/types.js';
import { passingResults } from './support/results.js';

// The threat model is only worth reading if it cannot drift from the system: these tests run
// the model checks on the repository, and on deliberately broken copies to show that each
// check fails with a message saying what to add (PCI DSS v4.0.1 12.5.2, 6.3.1).

const fresh = (): CheckInput => structuredClone(repositoryInput([], '2026-12-01'));
const copyOf = (m: ThreatModel): ThreatModel => structuredClone(m);

function problems(result: CheckResult): string {
  return result.problems.join('\n');
}

const allPassed = (input: CheckInput): TestResult[] => passingResults(input.model);

describe('[C-029] threat model checks', () => {
  it('keeps threat-model/REPORT.md equal to what the model generates (npm run threat-model:report)', () => {
    const committed = readFileSync(join(ROOT, 'threat-model/REPORT.md'), 'utf8');
    assert.equal(committed, renderReport(model), 'threat-model/REPORT.md is stale: run npm run threat-model:report');
  });

  it('passes every check on the repository, given a run where its evidence passed', () => {
    const input = fresh();
    input.results = allPassed(input);
    for (const r of runModelChecks(input)) assert.deepEqual(r.problems, [], r.name);
  });

  it('fails on a compose service the model does not have, naming the service and what to add', () => {
    const input = fresh();
    input.compose.services['mail-relay'] = { networks: ['data'] };
    const r = checkServices(input);
    assert.match(problems(r), /compose service "mail-relay" is not in the threat model: add a component/);
  });

  it('fails once compose runs a service the model has as undeployed, saying what to change', () => {
    const input = fresh();
    input.compose.services['admin-portal'] = { networks: ['admin', 'data', 'pii'] };
    assert.match(
      problems(checkServices(input)),
      /compose\.yaml now runs "admin-portal": make component admin-portal a compose-service, drop its unbuilt note, and give its flows the networks/,
    );
    const portal = input.model.components.find((c) => c.id === 'admin-portal');
    assert.ok(portal);
    portal.kind = 'compose-service';
    portal.unbuilt = undefined;
    // Now a deployed service: its flows must name the network compose puts them on.
    assert.match(
      problems(checkNetworkPaths(input)),
      /flow F-portal-postgres joins two compose services: name the network \(or the volume\) it goes through/,
    );
  });

  it('fails on a network path compose allows that no flow or unused entry covers', () => {
    const input = fresh();
    // The api joins the vault network: compose now lets it reach Vault and the tokenizer database.
    const api = input.compose.services.api as { networks: Record<string, unknown> };
    api.networks.vault = {};
    const text = problems(checkNetworkPaths(input));
    assert.match(text, /compose lets api and vault reach each other on network "vault": model a flow/);
    assert.match(text, /api and tokenizer-db reach each other on network "vault"/);
  });

  it('fails on a flow that claims a network the two services do not share', () => {
    const input = fresh();
    const flow = input.model.flows.find((f) => f.id === 'F-api-tokenizer');
    assert.ok(flow);
    flow.network = 'data';
    assert.match(
      problems(checkNetworkPaths(input)),
      /flow F-api-tokenizer: compose does not put both api and vault-tokenizer on network "data"/,
    );
  });

  it('fails on an outbound connection the code can configure but the model does not have', () => {
    const input = fresh();
    input.schemaVariables['order-worker']?.push('REDIS_URL', 'PAYMENTS_WEBHOOK_URL');
    const text = problems(checkOutbound(input));
    assert.match(text, /order-worker can connect out through REDIS_URL \(redis\): add an outbound entry/);
    assert.match(text, /order-worker reads PAYMENTS_WEBHOOK_URL, which looks like an outbound connection/);
  });

  it('fails when a connection marked unused is set by compose', () => {
    const input = fresh();
    const api = input.compose.services.api as { environment: Record<string, string> };
    api.environment.STRIPE_API_HOST = 'stripe-double.internal';
    assert.match(problems(checkOutbound(input)), /api\.STRIPE_API_HOST is marked unused, but compose.yaml sets it/);
  });

  it('fails on an element that leaves a STRIDE category unaddressed', () => {
    const input = fresh();
    input.model.threats = input.model.threats
      .map((t) => (t.category === 'R' ? { ...t, appliesTo: t.appliesTo.filter((e) => e !== 'vault-tokenizer') } : t))
      .filter((t) => t.appliesTo.length > 0);
    assert.match(
      problems(checkStride(input)),
      /vault-tokenizer does not address Repudiation \(R\): add a threat with category 'R' applying to it, or notApplicable\.R with the reason/,
    );
  });

  it('fails on an expired risk acceptance, and on one owned by something that is not a role', () => {
    const input = fresh();
    const accepted = input.model.threats.find((t) => t.id === 'T-S15');
    assert.ok(accepted?.acceptance);
    accepted.acceptance.expires = '2026-11-30';
    let text = problems(checkThreatStatus(input));
    assert.match(text, /accepted risk T-S15 expired on 2026-11-30: review it/);
    accepted.acceptance.expires = '2027-01-01';
    accepted.acceptance.owner = 'Jane Doe';
    text = problems(checkThreatStatus(input));
    assert.match(text, /accepted risk T-S15 is owned by "Jane Doe", which is not a role/);
  });

  it('fails on an acceptance that expires today (expiry is the first day it no longer holds)', () => {
    const input = fresh();
    const accepted = input.model.threats.find((t) => t.id === 'T-S15');
    assert.ok(accepted?.acceptance);
    accepted.acceptance.expires = input.today;
    assert.match(problems(checkThreatStatus(input)), /T-S15 expired/);
  });

  it('fails on evidence naming a test that does not exist', () => {
    const input = fresh();
    input.model = copyOf(input.model);
    const control = input.model.controls.find((c) => c.id === 'C-007');
    assert.ok(control);
    control.evidence = [{ kind: 'test', file: 'api/test/plugins/csrf-origin.test.ts' }];
    input.results = allPassed(input);
    assert.match(
      problems(checkEvidence(input)),
      /control C-007: api\/test\/plugins\/csrf-origin\.test\.ts does not exist/,
    );
    control.evidence = [{ kind: 'test', file: 'api/test/plugins/sessions.test.ts' }];
    assert.match(problems(checkEvidence(input)), /no test in api\/test\/plugins\/sessions\.test\.ts carries \[C-007\]/);
  });

  it('fails on evidence cited by test name when the name is gone, or the named test failed or did not run', () => {
    const input = fresh();
    const control = input.model.controls.find((c) => c.id === 'C-044');
    const cited = control?.evidence[0];
    assert.ok(cited?.kind === 'test' && cited.names);
    const [first, second] = cited.names;
    assert.ok(first && second);
    input.results = [
      { name: first, file: cited.file, outcome: 'failed' },
      ...cited.names.slice(2).map((name) => ({ name, file: cited.file, outcome: 'passed' as const })),
    ];
    const text = problems(checkEvidence(input));
    assert.ok(text.includes('control C-044: '), text);
    assert.ok(text.includes(`"${first}" failed`), text);
    assert.ok(text.includes(`"${second}" did not run`), text);
    cited.names = [...cited.names, 'a test that was renamed'];
    assert.match(
      problems(checkEvidence(input)),
      /admin-portal\/test\/audit\/audit-trail\.test\.ts has no test named "a test that was renamed": cite the test's current name/,
    );
  });

  it('fails on evidence whose test failed, was skipped or did not run in this run', () => {
    const input = fresh();
    const results = allPassed(input);
    const failed = results.find((r) => r.name.startsWith('[C-006]'));
    assert.ok(failed);
    failed.outcome = 'failed';
    const skipped = results.find((r) => r.name.startsWith('[C-007]'));
    assert.ok(skipped);
    skipped.outcome = 'skipped';
    input.results = results.filter((r) => !r.name.startsWith('[C-008]'));
    const text = problems(checkEvidence(input));
    assert.match(text, /control C-006: "\[C-006\] suite" failed/);
    assert.match(text, /control C-007: "\[C-007\] suite" skipped/);
    assert.match(
      text,
      /control C-008: no test of api\/test\/plugins\/rate-limit\.test\.ts named \[C-008\] ran in this run/,
    );
  });

  it('fails on a config evidence whose key is missing or has another value', () => {
    const input = fresh();
    input.results = allPassed(input);
    const control = input.model.controls.find((c) => c.id === 'C-019');
    assert.ok(control);
    control.evidence = [
      { kind: 'config', file: 'gateway/nginx.conf', key: 'ssl_protocols', equals: 'TLSv1.3' },
      { kind: 'config', file: 'compose.yaml', key: 'services.gateway.read_only', equals: false },
      { kind: 'config', file: 'compose.yaml', key: 'services.gateway.no_such_key', equals: true },
    ];
    const text = problems(checkEvidence(input));
    assert.match(text, /gateway\/nginx\.conf ssl_protocols is "TLSv1\.2 TLSv1\.3", expected "TLSv1\.3"/);
    assert.match(text, /compose\.yaml services\.gateway\.read_only is true, expected false/);
    assert.match(text, /compose\.yaml has no key services\.gateway\.no_such_key/);
  });

  it('fails on dangling and duplicate ids', () => {
    const input = fresh();
    const threat = input.model.threats[0];
    assert.ok(threat);
    threat.mitigations.push('C-999');
    threat.appliesTo.push('F-nowhere');
    input.model.controls.push({ ...(input.model.controls[0] as ThreatModel['controls'][number]) });
    const text = problems(checkIds(input));
    assert.match(text, /names unknown control C-999/);
    assert.match(text, /applies to unknown element F-nowhere/);
    assert.match(text, /id C-001 is used twice/);
  });

  it('fails a mitigated threat with no control and an open threat with nothing left to do', () => {
    const input = fresh();
    const [a, b] = input.model.threats;
    assert.ok(a && b);
    a.status = 'mitigated';
    a.mitigations = [];
    b.status = 'open';
    b.remaining = undefined;
    const text = problems(checkThreatStatus(input));
    assert.match(text, new RegExp(`threat ${a.id} is mitigated but names no control`));
    assert.match(text, new RegExp(`threat ${b.id} is open: say what remains to do`));
  });
});

describe('[C-029] npm test wiring: the model checks read the results of the same run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'results-reporter-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records each test as passed, failed or not run, and a test that did not run is refused as evidence', () => {
    // The sample's third test needs a service its environment does not name: the runner
    // itself reports it as not run (threat-model/test/fixtures/results-sample.mjs).
    const file = join(ROOT, 'threat-model/test/fixtures/results-sample.mjs');
    const out = join(dir, 'results.jsonl');
    // Without NODE_TEST_CONTEXT the child is a runner of its own, not a subtest of this one.
    const { NODE_TEST_CONTEXT: _, RESULTS_SAMPLE_SERVICE_URL: __, ...env } = process.env;
    const run = spawnSync(
      process.execPath,
      [
        '--test',
        '--test-reporter',
        join(ROOT, 'scripts/lib/results-reporter.mjs'),
        '--test-reporter-destination',
        out,
        file,
      ],
      { env },
    );
    assert.equal(run.status, 1, 'the run fails because one test failed');
    const results = readResults(out);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(byName['[C-900] passes']?.outcome, 'passed');
    assert.equal(byName['[C-900] fails']?.outcome, 'failed');
    assert.equal(byName['[C-900] needs a service']?.outcome, 'skipped');
    assert.equal(byName['[C-900] suite']?.outcome, 'failed', 'a suite with a failing test is not evidence');
    assert.equal(byName['[C-900] passes']?.file, 'threat-model/test/fixtures/results-sample.mjs');

    // What the reporter wrote, fed to the evidence check: the test that did not run is refused
    // even when everything else of the control passed.
    const input = fresh();
    input.model.controls = [
      {
        id: 'C-900',
        name: 'sample',
        enforcedIn: [],
        evidence: [{ kind: 'test', file: 'threat-model/test/fixtures/results-sample.mjs' }],
      },
    ];
    input.results = results.filter((r) => r.name !== '[C-900] fails' && r.name !== '[C-900] suite');
    assert.match(
      problems(checkEvidence(input)),
      /control C-900 \(no threat cites it\): "\[C-900\] needs a service" skipped/,
    );
    input.results = results.filter((r) => r.name === '[C-900] passes');
    assert.deepEqual(checkEvidence(input).problems, [], 'the same control with only its passing test is evidence');
  });

  it('makes check-cli exit 1 and print what to add when the evidence did not pass', () => {
    const results = join(dir, 'empty.jsonl');
    writeFileSync(
      results,
      `${JSON.stringify({ name: '[C-020] x', file: join(ROOT, 'threat-model/test/compose.test.ts'), outcome: 'failed' })}\n`,
    );
    let output = '';
    let status = 0;
    try {
      output = execFileSync(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'threat-model/src/check-cli.ts'), results],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
    } catch (error) {
      const e = error as { status: number; stdout: string };
      status = e.status;
      output = e.stdout;
    }
    assert.equal(status, 1);
    assert.match(output, /✖ every mitigation's evidence passed in this run/);
    assert.match(output, /control C-020: "\[C-020\] x" failed/);
    assert.match(
      output,
      /control C-006: no test of api\/test\/plugins\/sessions\.test\.ts named \[C-006\] ran in this run/,
    );
    assert.match(output, /model checks: \d+ passed, [1-9]\d* failed/);
  });
});
