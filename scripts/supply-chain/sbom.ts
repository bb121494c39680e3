import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// npm run sbom [-- <folder>]: a CycloneDX SBOM (JSON) of each service's production dependency
// tree, made from the installed node_modules by @cyclonedx/cyclonedx-npm (PCI DSS 6.3.2).
const root = fileURLToPath(new URL('../../', import.meta.url));
export const SBOM_WORKSPACES = [
  'api',
  'order-worker',
  'vault-tokenizer',
  'egress-proxy',
  'shared',
  'storefront',
  'admin-portal',
];

export function writeSbom(workspace: string, file: string): { ok: boolean; output: string } {
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/@cyclonedx/cyclonedx-npm/bin/cyclonedx-npm-cli.js'),
      '--workspace',
      workspace,
      '--omit',
      'dev',
      '--output-reproducible',
      '--output-format',
      'JSON',
      '--output-file',
      file,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(root, '.tmp', 'sbom'));
  mkdirSync(dir, { recursive: true });
  let failed = false;
  for (const ws of SBOM_WORKSPACES) {
    const file = join(dir, `${ws}.cdx.json`);
    const { ok, output } = writeSbom(ws, file);
    console.log(`${ok ? '✔' : '✖'} ${ws}: ${ok ? file : output}`);
    failed ||= !ok;
  }
  process.exitCode = failed ? 1 : 0;
}
