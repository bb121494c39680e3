import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AdminEnv } from '../../admin-portal/src/config.js';
import { ApiConfigSchema } from '../../api/src/config.js';
import { MigrateJobSchema } from '../../api/src/migrate.js';
import { EgressConfigSchema } from '../../egress-proxy/src/config.js';
import { WorkerConfigSchema } from '../../order-worker/src/config.js';
import { TokenizerEnv } from '../../vault-tokenizer/src/config.js';
import type { CheckInput, Compose, TestResult } from './checks.js';
import { model } from './model.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The config schemas of the node services, by service name: what their code can connect to. */
export function schemaVariables(): Record<string, string[]> {
  return {
    api: Object.keys(ApiConfigSchema.properties),
    'order-worker': Object.keys(WorkerConfigSchema.properties),
    'vault-tokenizer': Object.keys(TokenizerEnv.properties),
    'admin-portal': Object.keys(AdminEnv.properties),
    'api-migrate': Object.keys(MigrateJobSchema.properties),
    'egress-proxy': Object.keys(EgressConfigSchema.properties),
  };
}

export function loadCompose(): Compose {
  return parse(readFileSync(new URL('compose.yaml', `file://${ROOT}`), 'utf8'), { merge: true }) as Compose;
}

/** Reads the results file scripts/lib/results-reporter.mjs wrote, paths made relative to the root. */
export function readResults(path: string): TestResult[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TestResult)
    .map((r) => ({ ...r, file: r.file?.startsWith(ROOT) ? r.file.slice(ROOT.length) : r.file }));
}

export function repositoryInput(results?: TestResult[], today = new Date().toISOString().slice(0, 10)): CheckInput {
  return { model, compose: loadCompose(), schemaVariables: schemaVariables(), results, root: ROOT, today };
}
