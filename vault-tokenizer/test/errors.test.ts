import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkErrorCatalogue } from '@shop/shared/error-catalogue-check';
import { SAMPLE, startTokenizer, type TokenizerHarness } from './helper.js';

// One error catalogue (src/errors.ts): every code declared once, each used, none written out
// by hand elsewhere; and a code says what happened (a tampered key is not "provider down").

describe('the tokenizer error catalogue', () => {
  it('declares every code once in src/errors.ts, uses each, and no other file declares or spells out a code', async () => {
    const { problems } = await checkErrorCatalogue(fileURLToPath(new URL('../src/', import.meta.url)), {
      atLeast: 15,
      used: (name) => new RegExp(`\\bnew ${name}\\(`),
      forbidden: [{ pattern: /defineError\(|createError\(|sendError\(/, says: 'declares or sends an error itself' }],
      spellings: (code) => [code.toLowerCase()],
      // `not_found` is also a word of Vault's answers, classified in keys/.
      wordsOfOthers: ['NOT_FOUND'],
    });
    assert.deepEqual(problems, []);
  });
});

describe('integrity is not an outage', () => {
  let h: TokenizerHarness;
  let now = Date.now();
  before(async () => {
    h = await startTokenizer({ keyCache: { ttlMs: 1000, now: () => now } });
  });
  after(async () => {
    await h?.close();
  });

  it('a tampered wrapped data key answers 500 internal_error, audited as failed, not 503 tokenizer_keys_unavailable', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-tampered',
      items: [{ field: 'email', value: SAMPLE.email }],
    });
    assert.equal(res.status, 200);
    await h.owner.query(
      "UPDATE subject_keys SET wrapped_dek = set_byte(wrapped_dek, length(wrapped_dek) - 1, get_byte(wrapped_dek, length(wrapped_dek) - 1) # 255) WHERE subject_id = 'cust-tampered'",
    );
    now += 2000; // the unwrapped data key leaves the cache
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: res.body.tokens[0], field: 'email' }],
    });
    assert.equal(read.status, 500);
    assert.equal(read.body.error.code, 'internal_error');
    assert.ok(!JSON.stringify(read.body).includes('Lovelace'));
    const { rows } = await h.owner.query(
      "SELECT outcome, detail FROM audit_events WHERE operation = 'detokenize' ORDER BY seq DESC LIMIT 1",
    );
    assert.deepEqual({ ...rows[0] }, { outcome: 'failed', detail: 'tokenizer_integrity_failed' });
    // The provider is fine: other subjects still read.
    const other = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-fine',
      items: [{ field: 'email', value: SAMPLE.email }],
    });
    const fine = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: other.body.tokens[0], field: 'email' }],
    });
    assert.equal(fine.status, 200);
  });
});
