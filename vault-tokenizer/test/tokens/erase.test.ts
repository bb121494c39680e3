import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE, startTokenizer, type TokenizerHarness } from '../helper.js';

// Crypto-shredding (GDPR art. 17; PCI DSS v4.0.1 3.2.1): erasing a customer destroys their
// data key, so their tokens can never be decrypted again, by any replica, from any backup
// made after the erase; other customers are untouched.

let h: TokenizerHarness;
before(async () => {
  // No shipped caller may delete a single token (pentest finding 8.9): this file grants it to
  // order-worker, to pin what the operation does for a deployment whose policy allows it.
  h = await startTokenizer({
    policy: (doc) => {
      for (const rules of Object.values(doc.callers['order-worker'] ?? {})) rules.delete = 'allow';
      return doc;
    },
  });
});
after(async () => {
  await h?.close();
});

async function tokenize(subjectId: string) {
  const res = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId,
    items: [
      { field: 'email', value: `${subjectId}@example.net` },
      { field: 'shipping_address', value: SAMPLE.shipping_address },
    ],
  });
  assert.equal(res.status, 200);
  return res.body.tokens as string[];
}

describe('[C-025] erasing a subject', () => {
  it("makes every token of that customer unreadable and leaves other customers' tokens readable", async () => {
    const victim = await tokenize('cust-erase');
    const other = await tokenize('cust-keep');
    // Warm the cache: erase must work even when the data key is in memory.
    const warm = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: victim[0], field: 'email' }],
    });
    assert.equal(warm.status, 200);

    const erase = await h.call('api', 'DELETE', '/v1/subjects/cust-erase');
    assert.equal(erase.status, 204);

    for (const [token, field] of [
      [victim[0], 'email'],
      [victim[1], 'shipping_address'],
    ]) {
      const res = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field }] });
      assert.equal(res.status, 410);
      assert.equal(res.body.error.code, 'token_erased');
      assert.ok(!JSON.stringify(res.body).includes('example.net'));
    }
    const key = await h.owner.query('SELECT wrapped_dek, kek_id, erased_at FROM subject_keys WHERE subject_id = $1', [
      'cust-erase',
    ]);
    assert.equal(key.rows[0].wrapped_dek, null, 'the wrapped data key is destroyed');
    assert.notEqual(key.rows[0].erased_at, null);
    const kept = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: other[0], field: 'email' }],
    });
    assert.equal(kept.body.items[0].value, 'cust-keep@example.net');
    const audit = await h.owner.query(
      "SELECT caller, outcome FROM audit_events WHERE operation = 'erase_subject' ORDER BY seq DESC LIMIT 1",
    );
    assert.deepEqual(audit.rows[0], { caller: 'api', outcome: 'ok' });
  });

  it('refuses new values for an erased subject', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-erase',
      items: [{ field: 'email', value: 'again@example.net' }],
    });
    assert.equal(res.status, 410);
    assert.equal(res.body.error.code, 'subject_erased');
  });

  it('deletes one token: it is gone, and the subject’s other tokens remain', async () => {
    const tokens = await tokenize('cust-delete-one');
    const del = await h.call('order-worker', 'DELETE', `/v1/tokens/${tokens[0]}`);
    assert.equal(del.status, 204);
    const gone = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[0], field: 'email' }],
    });
    assert.equal(gone.body.error.code, 'token_not_found');
    const again = await h.call('order-worker', 'DELETE', `/v1/tokens/${tokens[0]}`);
    assert.equal(again.body.error.code, 'token_not_found');
    const kept = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[1], field: 'shipping_address' }],
    });
    assert.equal(kept.status, 200);
    const denied = await h.call('api', 'DELETE', `/v1/tokens/${tokens[1]}`);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'operation_denied');
  });
});
