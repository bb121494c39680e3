import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// The check each service's tests run on its one error catalogue (`src/errors.ts`): every code
// declared once and used, none declared, sent or spelt out by hand elsewhere, so the codes
// clients rely on are read in one file and cannot drift. It returns the problems it finds.

export interface SourceFile {
  /** Path relative to the source folder. */
  file: string;
  text: string;
}

export async function readSources(dir: string, root = dir): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await readSources(full, root)));
    else if (entry.name.endsWith('.ts'))
      out.push({ file: full.slice(root.length + 1), text: await readFile(full, 'utf8') });
  }
  return out;
}

export interface CatalogueRules {
  /** Fewer declarations than this means the declarations are no longer read. */
  atLeast: number;
  /** How another file must mention a declaration for it to count as used. */
  used: (name: string) => RegExp;
  /** What no other file may contain, each with what it means. */
  forbidden: { pattern: RegExp; says: string }[];
  /** The spellings of a code that no other file may hold in quotes. */
  spellings: (code: string) => string[];
  /** Codes that are also words of another system's answers (e.g. Vault's `not_found`). */
  wordsOfOthers?: string[];
}

export interface CatalogueResult {
  codes: string[];
  problems: string[];
}

export async function checkErrorCatalogue(srcDir: string, rules: CatalogueRules): Promise<CatalogueResult> {
  const dir = srcDir.replace(/\/$/, '');
  const files = await readSources(dir);
  const problems: string[] = [];
  const catalogue = files.find((f) => f.file === 'errors.ts')?.text;
  if (catalogue === undefined) return { codes: [], problems: ['src/errors.ts does not exist'] };
  const declared = [...catalogue.matchAll(/export const (\w+) = defineError\(\s*'([A-Z_]+)'/g)].map((m) => ({
    name: m[1] as string,
    code: m[2] as string,
  }));
  if (declared.length < rules.atLeast)
    problems.push(`only ${declared.length} declarations read (at least ${rules.atLeast})`);
  if (declared.length !== (catalogue.match(/defineError\(/g) ?? []).length) {
    problems.push("a declaration the check cannot read: write it as export const Name = defineError('CODE', ...)");
  }
  const codes = declared.map((d) => d.code);
  for (const code of new Set(codes.filter((c, i) => codes.indexOf(c) !== i)))
    problems.push(`${code} is declared twice`);
  const others = files.filter((f) => f.file !== 'errors.ts');
  for (const { name } of declared) {
    if (!others.some((f) => rules.used(name).test(f.text))) problems.push(`${name} is declared but never used`);
  }
  for (const f of others) {
    for (const { pattern, says } of rules.forbidden) if (pattern.test(f.text)) problems.push(`${f.file} ${says}`);
    for (const code of codes.filter((c) => !rules.wordsOfOthers?.includes(c))) {
      for (const spelt of rules.spellings(code)) {
        if (f.text.includes(`'${spelt}'`)) problems.push(`${f.file} spells out the code ${spelt}`);
      }
    }
  }
  return { codes, problems };
}
