import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTokenizer, type TokenizerHarness } from '../helper.js';

// With its database unreachable the tokenizer answers 503 with a stable code (never a 500 or
// a stack trace), hands out no token it could not store, and recovers when the link returns.

let h: TokenizerHarness;
let token: string;
before(async () => {
  h = await startTokenizer({ databaseProxy: true });
  const made = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId: 'cust-db',
    items: [{ field: 'email', value: 'db@example.net' }],
  });
  token = made.body.tokens[0];
});
after(async () => {
  await h?.close();
});

describe('tokenizer database unreachable', () => {
  it('answers 503 tokenizer_storage_unavailable to every operation, and readiness says so', async () => {
    await h.databaseProxy?.cut();
    try {
      const tok = await h.call('api', 'POST', '/v1/tokenize', {
        subjectId: 'cust-db2',
        items: [{ field: 'email', value: 'db2@example.net' }],
      });
      assert.equal(tok.status, 503);
      assert.equal(tok.body.error.code, 'tokenizer_storage_unavailable');
      const read = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
      assert.equal(read.status, 503);
      assert.ok(!JSON.stringify(read.body).includes('db@example.net'));
      const denied = await h.call('api', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
      assert.equal(denied.status, 503, 'a denial that cannot be audited is not answered as a plain denial');
      const del = await h.call('api', 'DELETE', `/v1/tokens/${token}`);
      assert.equal(del.status, 503);
      // An erase whose hourly bound cannot be counted is not made.
      const erase = await h.call('api', 'DELETE', '/v1/subjects/cust-db2');
      assert.equal(erase.status, 503);
      assert.equal(erase.body.error.code, 'tokenizer_storage_unavailable');
      const ready = await h.call('api', 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.database, 'unavailable');
      for (const body of [tok.body, read.body, denied.body, del.body, erase.body]) {
        assert.ok(!JSON.stringify(body).match(/ECONN|stack|at .*\.ts/), JSON.stringify(body));
      }
    } finally {
      await h.databaseProxy?.restore();
    }
    const back = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
    assert.equal(back.status, 200);
    assert.equal(back.body.items[0].value, 'db@example.net');
  });
});
