import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { TokenLookup } from '../../src/tokens/token-lookup.js';
import { startTokenizer, type TokenizerHarness } from '../helper.js';

// Lookups made in the same tick share one SELECT on the real database; each caller still
// gets exactly the rows it asked for, and a failed statement fails every lookup in it.

let h: TokenizerHarness;
let tokens: string[] = [];
let statements = 0;
let counted: pg.Pool;

before(async () => {
  h = await startTokenizer();
  const made = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-lookup',
    items: Array.from({ length: 30 }, (_, i) => ({ field: 'email', value: `lookup.${i}@example.net` })),
  });
  tokens = made.body.tokens;
  // The owner pool, with every statement counted on its way to PostgreSQL.
  counted = {
    query: (...args: unknown[]) => {
      statements++;
      return (h.owner.query as (...a: unknown[]) => unknown).apply(h.owner, args);
    },
  } as unknown as pg.Pool;
});
after(async () => {
  await h?.close();
});

describe('token lookup', () => {
  it('serves concurrent lookups with one statement, each with only its own rows', async () => {
    const lookup = new TokenLookup(counted);
    statements = 0;
    const asks = tokens.map((_, i) => [
      tokens[i] ?? '',
      tokens[(i + 1) % tokens.length] ?? '',
      `tok_${'B'.repeat(32)}`,
    ]);
    const results = await Promise.all(asks.map((ask) => lookup.find(ask)));
    assert.equal(statements, 1);
    results.forEach((rows, i) => {
      const ask = asks[i] ?? [];
      assert.deepEqual([...rows.keys()].sort(), [ask[0], ask[1]].sort());
      for (const [token, row] of rows) {
        assert.equal(row.token, token);
        assert.equal(row.subjectId, 'cust-lookup');
      }
    });
  });

  it('splits a large tick into statements of at most 2000 tokens, never splitting a request', async () => {
    const lookup = new TokenLookup(counted);
    statements = 0;
    const big = (n: number) => Array.from({ length: 1000 }, (_, i) => tokens[(i + n) % tokens.length] ?? '');
    const results = await Promise.all([lookup.find(big(0)), lookup.find(big(1)), lookup.find(big(2))]);
    assert.equal(statements, 2);
    for (const rows of results) assert.equal(rows.size, tokens.length);
  });

  it('rejects every lookup of a statement that fails, and the next tick works again', async () => {
    await h.owner.query('ALTER TABLE tokens RENAME TO tokens_away');
    try {
      const lookup = new TokenLookup(h.owner);
      const outcomes = await Promise.allSettled([lookup.find([tokens[0] ?? '']), lookup.find([tokens[1] ?? ''])]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected'],
      );
    } finally {
      await h.owner.query('ALTER TABLE tokens_away RENAME TO tokens');
    }
    const rows = await new TokenLookup(h.owner).find([tokens[0] ?? '']);
    assert.equal(rows.size, 1);
  });
});
