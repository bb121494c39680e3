import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkErrorCatalogue } from '../src/error-catalogue-check.js';

// The catalogue check the api and the tokenizer run on their src/, here on a broken copy:
// each way a catalogue drifts is named.

const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(file: string, text: string) {
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), text);
}

const rules = {
  atLeast: 2,
  used: (name: string) => new RegExp(`\\bnew ${name}\\(`),
  forbidden: [{ pattern: /defineError\(/, says: 'declares an error itself' }],
  spellings: (code: string) => [code.toLowerCase()],
};

describe('error catalogue check', () => {
  it('passes a catalogue whose codes are declared once and used, and names every kind of drift', async () => {
    write(
      'errors.ts',
      "export const CartEmptyError = defineError('CART_EMPTY', 'empty', 409);\nexport const GoneError = defineError('GONE', 'gone', 410);\n",
    );
    write('routes/cart.ts', 'throw new CartEmptyError();\nthrow new GoneError();\n');
    assert.deepEqual((await checkErrorCatalogue(dir, rules)).problems, []);

    write(
      'errors.ts',
      "export const CartEmptyError = defineError('CART_EMPTY', 'empty', 409);\nexport const GoneError = defineError('GONE', 'gone', 410);\nexport const AgainError = defineError('GONE', 'again', 410);\nconst hidden = defineError('HIDDEN', 'x', 400);\n",
    );
    write(
      'routes/orders.ts',
      "reply.send({ error: { code: 'cart_empty' } });\nconst e = defineError('X', 'y', 400);\n",
    );
    const { problems } = await checkErrorCatalogue(dir, rules);
    assert.deepEqual(problems.sort(), [
      'AgainError is declared but never used',
      'GONE is declared twice',
      "a declaration the check cannot read: write it as export const Name = defineError('CODE', ...)",
      'routes/orders.ts declares an error itself',
      'routes/orders.ts spells out the code cart_empty',
    ]);
  });
});
