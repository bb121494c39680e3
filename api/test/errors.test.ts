import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// One error catalogue (src/errors.ts): every code declared once, each used, none written out
// by hand elsewhere, so the codes clients rely on are read in one file and cannot drift.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

async function sources(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(full)));
    else if (entry.name.endsWith('.ts')) out.push({ file: full.slice(SRC.length), text: await readFile(full, 'utf8') });
  }
  return out;
}

describe('the api error catalogue', () => {
  it('declares every code once in src/errors.ts, uses each, and no other file declares or spells out a code', async () => {
    const files = await sources(SRC);
    const catalogue = files.find((f) => f.file === 'errors.ts')?.text ?? '';
    const declared = [...catalogue.matchAll(/export const (\w+) = defineError\(\s*'([A-Z_]+)'/g)];
    assert.ok(declared.length >= 35);
    assert.equal(
      declared.length,
      (catalogue.match(/defineError\(/g) ?? []).length,
      'a declaration the test cannot read',
    );
    const codes = declared.map((d) => d[2] ?? '');
    assert.equal(new Set(codes).size, codes.length, 'a code is declared twice');
    const others = files.filter((f) => f.file !== 'errors.ts');
    for (const [, name] of declared) {
      assert.ok(
        others.some((f) => new RegExp(`\\b${name}\\b`).test(f.text)),
        `${name} is declared but never used`,
      );
    }
    for (const f of others) {
      assert.ok(!/defineError\(|createError\(/.test(f.text), `${f.file} declares an error itself`);
      assert.ok(!/sendError\([^,]+,\s*\d/.test(f.text), `${f.file} sends an error body it built itself`);
      for (const code of codes) {
        for (const spelt of [code, code.toLowerCase()]) {
          assert.ok(!f.text.includes(`'${spelt}'`), `${f.file} spells out the code ${spelt}`);
        }
      }
    }
  });
});
