import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkErrorCatalogue } from '@shop/shared/error-catalogue-check';

// One error catalogue (src/errors.ts): every code declared once, each used, none written out
// by hand elsewhere, so the codes clients rely on are read in one file and cannot drift.

describe('the api error catalogue', () => {
  it('declares every code once in src/errors.ts, uses each, and no other file declares or spells out a code', async () => {
    const { problems } = await checkErrorCatalogue(fileURLToPath(new URL('../src/', import.meta.url)), {
      atLeast: 35,
      used: (name) => new RegExp(`\\b${name}\\b`),
      forbidden: [
        { pattern: /defineError\(|createError\(/, says: 'declares an error itself' },
        { pattern: /sendError\([^,]+,\s*\d/, says: 'sends an error body it built itself' },
      ],
      spellings: (code) => [code, code.toLowerCase()],
    });
    assert.deepEqual(problems, []);
  });
});
