import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTokenizer, type TokenizerHarness } from '../helper.js';

// The key provider (Vault) is called per key-encryption key, never per value or per
// customer: 10,000 values of 100 customers cost at most a handful of provider calls, and
// a new call happens only once a cached key's lifetime ends.

const TTL_MS = 1500;
// The cache's clock moves only when the test says so: a slow run cannot expire keys mid-way.
let clock = Date.now();
let h: TokenizerHarness;
before(async () => {
  h = await startTokenizer({ keyCache: { ttlMs: TTL_MS, now: () => clock } });
});
after(async () => {
  await h?.close();
});

describe('key-provider calls', () => {
  it('cost one provider call for 10,000 values of 100 customers, then one unwrap after the cache lifetime', async () => {
    const tokens: string[] = [];
    for (let s = 0; s < 10; s++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const subject = `cust-${s}-${i}`;
          const res = await h.call('api', 'POST', '/v1/tokenize', {
            subjectId: subject,
            items: Array.from({ length: 100 }, (_, n) => ({ field: 'email', value: `${subject}-${n}@example.net` })),
          });
          assert.equal(res.status, 200);
          tokens.push(res.body.tokens[0]);
        }),
      );
    }
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: tokens.map((token) => ({ token, field: 'email' })),
    });
    assert.equal(read.status, 200);
    assert.equal(h.provider.keyCalls(), 1, `provider calls: ${JSON.stringify(h.provider.calls)}`);
    assert.equal(h.provider.calls.generateKey, 1, 'one KEK generated; no per-customer provider call');

    clock += TTL_MS + 1;
    const again = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: tokens.slice(0, 50).map((token) => ({ token, field: 'email' })),
    });
    assert.equal(again.status, 200);
    assert.equal(h.provider.calls.unwrapKey, 1, 'the expired KEK was unwrapped once, for 50 customers');
  });
});
