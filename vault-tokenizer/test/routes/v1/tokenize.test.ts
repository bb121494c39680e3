import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE, startTokenizer, type TokenizerHarness } from '../../helper.js';

let h: TokenizerHarness;
before(async () => {
  h = await startTokenizer();
});
after(async () => {
  await h?.close();
});

const items = Object.entries(SAMPLE).map(([field, value]) => ({ field, value }));

describe('POST /v1/tokenize', () => {
  it('returns one random token per value, in order, and order-worker reads email and address back', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-1', items });
    assert.equal(res.status, 200);
    const tokens: string[] = res.body.tokens;
    assert.equal(tokens.length, 4);
    for (const t of tokens) assert.match(t, /^tok_[A-Za-z0-9_-]{32}$/);
    assert.equal(new Set(tokens).size, 4);
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [
        { token: tokens[0], field: 'email' },
        { token: tokens[3], field: 'shipping_address' },
      ],
    });
    assert.equal(read.status, 200);
    assert.deepEqual(
      read.body.items.map((i: { value: string; masked: boolean }) => [i.value, i.masked]),
      [
        [SAMPLE.email, false],
        [SAMPLE.shipping_address, false],
      ],
    );
  });

  it('gives the same value a different token each time, so a token reveals nothing about its value', async () => {
    const a = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-2', items: [items[0]] });
    const b = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-2', items: [items[0]] });
    assert.notEqual(a.body.tokens[0], b.body.tokens[0]);
  });

  it('[C-015] stores only ciphertext: no value appears in any column of the tokenizer database', async () => {
    const dump = await h.owner.query(
      `SELECT string_agg(t::text, ' ') AS all FROM (
         SELECT row_to_json(x)::text AS t FROM tokens x UNION ALL
         SELECT row_to_json(x)::text FROM subject_keys x UNION ALL
         SELECT row_to_json(x)::text FROM audit_events x UNION ALL
         SELECT row_to_json(x)::text FROM provider_wrapped_keys x) s`,
    );
    const all: string = dump.rows[0].all;
    assert.ok(all.length > 100);
    // Needles long enough that random ciphertext, hashes and ids cannot hold them by chance
    // (a bare '7946' turns up in a few kilobytes of hex about one run in seven).
    for (const needle of ['Lovelace', 'Example.org', 'example.org', '7946 0958', 'James Square', 'SW1Y 4JH']) {
      assert.ok(!all.includes(needle), `found ${needle} in the tokenizer database`);
      assert.ok(!all.includes(Buffer.from(needle).toString('hex')), `found ${needle} (hex) in the tokenizer database`);
    }
  });

  it('refuses a batch of 1001 items with batch_too_large', async () => {
    const big = Array.from({ length: 1001 }, () => ({ field: 'name', value: 'A B' }));
    const res = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-3', items: big });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'batch_too_large');
  });

  it('accepts a batch of exactly 1000 items', async () => {
    const full = Array.from({ length: 1000 }, (_, i) => ({ field: 'name', value: `Name ${i}` }));
    const res = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-3', items: full });
    assert.equal(res.status, 200);
    assert.equal(res.body.tokens.length, 1000);
  });

  it('refuses a value longer than 2048 characters with value_too_long, naming the item not the value', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-3',
      items: [items[1], { field: 'name', value: 'x'.repeat(2049) }],
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'value_too_long');
    assert.match(res.body.error.message, /Item 1/);
    assert.ok(!JSON.stringify(res.body).includes('xxxx'));
  });

  it('refuses unknown body fields, a malformed subject id and a non-JSON body with stable codes', async () => {
    const extra = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'c', items, admin: true });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.code, 'validation_failed');
    const subject = await h.call('api', 'POST', '/v1/tokenize', { subjectId: "x' OR 1=1", items });
    assert.equal(subject.body.error.code, 'validation_failed');
  });

  it('refuses a value that is not valid for its field type, without echoing it', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-4',
      items: [{ field: 'email', value: 'not-an-email-secret' }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_value');
    assert.ok(!JSON.stringify(res.body).includes('secret'));
    const address = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-4',
      items: [{ field: 'shipping_address', value: '{"line1":"x","evil":1}' }],
    });
    assert.equal(address.body.error.code, 'invalid_value');
  });

  it('refuses a card number disguised as a name (PCI DSS v4.0.1 3.2)', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-4',
      items: [{ field: 'name', value: 'Card 4242 4242 4242 4242' }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'card_number_refused');
  });
});

describe('POST /v1/detokenize with bad tokens', () => {
  it('refuses a well-formed but unknown (forged) token with token_not_found', async () => {
    const res = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: `tok_${'A'.repeat(32)}`, field: 'email' }],
    });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'token_not_found');
  });

  it('refuses a malformed token with validation_failed', async () => {
    const res = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: "tok_' OR '1'='1", field: 'email' }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
  });

  it('refuses a token presented as another field type with token_field_mismatch and releases nothing', async () => {
    const made = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-5',
      items: [
        { field: 'email', value: 'grace@example.net' },
        { field: 'shipping_address', value: SAMPLE.shipping_address },
      ],
    });
    // The name token is asked for as an email: order-worker may read emails, not names.
    const res = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [
        { token: made.body.tokens[0], field: 'email' },
        { token: made.body.tokens[1], field: 'email' },
      ],
    });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'token_field_mismatch');
    assert.ok(!JSON.stringify(res.body).includes('grace'));
  });

  it('detects a ciphertext moved onto another token row (associated data binds token and field)', async () => {
    const made = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-6',
      items: [
        { field: 'email', value: 'first@example.net' },
        { field: 'email', value: 'second@example.net' },
      ],
    });
    const [a, b] = made.body.tokens;
    await h.owner.query(
      'UPDATE tokens SET ciphertext = (SELECT ciphertext FROM tokens WHERE token = $2), iv = (SELECT iv FROM tokens WHERE token = $2) WHERE token = $1',
      [a, b],
    );
    const res = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token: a, field: 'email' }] });
    assert.equal(res.status, 500);
    assert.equal(res.body.error.code, 'internal_error');
    assert.ok(!JSON.stringify(res.body).includes('example.net'));
  });
});

describe('token lifetime and concurrency', () => {
  it('refuses a token past its expiry with token_expired', async () => {
    const made = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-ttl',
      items: [{ field: 'email', value: 'ttl@example.net' }],
      ttlSeconds: 3600,
    });
    const token = made.body.tokens[0];
    const fresh = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
    assert.equal(fresh.status, 200);
    await h.owner.query("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE token = $1", [token]);
    const old = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
    assert.equal(old.status, 410);
    assert.equal(old.body.error.code, 'token_expired');
  });

  it('gives one data key to a new subject tokenized by many concurrent requests, and every token reads back', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h.call('api', 'POST', '/v1/tokenize', {
          subjectId: 'cust-race',
          items: [{ field: 'email', value: `race${i}@example.net` }],
        }),
      ),
    );
    assert.ok(results.every((r) => r.status === 200));
    const keys = await h.owner.query("SELECT count(*)::int AS n FROM subject_keys WHERE subject_id = 'cust-race'");
    assert.equal(keys.rows[0].n, 1);
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: results.map((r) => ({ token: r.body.tokens[0], field: 'email' })),
    });
    assert.deepEqual(
      read.body.items.map((i: { value: string }) => i.value),
      results.map((_, i) => `race${i}@example.net`),
    );
  });
});
