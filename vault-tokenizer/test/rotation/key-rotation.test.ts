import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalKeyProvider, type WrappedKey } from '../../src/keys/index.js';
import { rotateKeys } from '../../src/rotation/key-rotation.js';
import { SAMPLE, startTokenizer, type TokenizerHarness } from '../helper.js';

// PCI DSS v4.0.1 3.6.4 / 3.7.4: keys are rotated at the end of their cryptoperiod, and every
// token made before the rotation stays readable after it (rewrap), even once the old key
// version is retired (min_decryption_version).

const CACHE_TTL_MS = 250;
let h: TokenizerHarness;
let provider: LocalKeyProvider;

before(async () => {
  h = await startTokenizer({ keyCache: { ttlMs: CACHE_TTL_MS } });
  provider = h.provider.inner as LocalKeyProvider;
});
after(async () => {
  await h?.close();
});

/** Fails the n-th rewrap, as a crash or a Vault outage in the middle of a run would. */
class FailingRewrap extends LocalKeyProvider {
  rewraps = 0;
  constructor(
    file: string,
    private readonly failAt: number,
  ) {
    super({ file });
  }
  override async rewrapKey(wrapped: WrappedKey): Promise<WrappedKey> {
    this.rewraps++;
    if (this.rewraps === this.failAt) throw new Error('interrupted');
    return super.rewrapKey(wrapped);
  }
}

describe('[C-017] rotate-keys', () => {
  it('rotates, survives an interruption, resumes, and every old token and blind index stays the same', async () => {
    // 1. Values and a blind index made under key version 1.
    const items = Object.entries(SAMPLE).map(([field, value]) => ({ field, value }));
    const made = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-rot', items });
    const index = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: SAMPLE.email });
    assert.equal(made.status, 200);
    const before = await h.owner.query('SELECT id, ciphertext, key_version FROM provider_wrapped_keys ORDER BY id');
    assert.equal(before.rows.length, 2, 'one KEK and one blind-index key');
    assert.ok(before.rows.every((r) => r.key_version === 1));

    // 2. A run interrupted at the second rewrap.
    const file = provider.file;
    const lines: string[] = [];
    const interrupted = new FailingRewrap(file, 2);
    await assert.rejects(rotateKeys(h.owner, interrupted, { progress: (m) => lines.push(m) }), /interrupted/);
    const partial = await h.owner.query('SELECT key_version FROM provider_wrapped_keys ORDER BY id');
    assert.deepEqual(
      partial.rows.map((r) => r.key_version),
      [2, 1],
    );
    const rotation = await h.owner.query('SELECT target_version, rewrapped, finished_at FROM key_rotations');
    assert.deepEqual(rotation.rows[0], { target_version: 2, rewrapped: 1, finished_at: null });

    // 3. Tokens stay readable while the rotation is half done (online).
    const during = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [{ token: made.body.tokens[0], field: 'email' }],
    });
    assert.equal(during.body.items[0].value, SAMPLE.email);

    // 4. The second run resumes (no second rotate), finishes, and retires version 1.
    const resumer = new LocalKeyProvider({ file });
    const result = await rotateKeys(h.owner, resumer, {
      raiseMinDecryptionVersion: true,
      progress: (m) => lines.push(m),
    });
    assert.equal(result.resumed, true);
    assert.equal(result.targetVersion, 2);
    assert.equal(result.rewrapped, 1);
    assert.ok(
      lines.some((l) => /rewrapped 1\/1 keys/.test(l)),
      lines.join('\n'),
    );
    const afterRows = await h.owner.query('SELECT ciphertext, key_version FROM provider_wrapped_keys ORDER BY id');
    assert.ok(afterRows.rows.every((r) => r.key_version === 2));

    // 5. The old wrapped form is now useless: version 1 can no longer decrypt.
    const old = before.rows[0];
    await assert.rejects(resumer.unwrapKey({ ciphertext: old.ciphertext, keyVersion: old.key_version }));

    // 6. Once the cached keys expire the tokenizer unwraps the rewrapped keys, and reads everything made before.
    await sleep(CACHE_TTL_MS + 100);
    const unwrapsBefore = h.provider.calls.unwrapKey;
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: [
        { token: made.body.tokens[0], field: 'email' },
        { token: made.body.tokens[3], field: 'shipping_address' },
      ],
    });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(
      read.body.items.map((i: { value: string }) => i.value),
      [SAMPLE.email, SAMPLE.shipping_address],
    );
    assert.ok(h.provider.calls.unwrapKey > unwrapsBefore, 'the KEK was unwrapped again from its rewrapped form');
    const index2 = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: SAMPLE.email });
    assert.equal(index2.body.index, index.body.index, 'blind indexes (stored by the api) do not change');
  });

  it('replaces the KEK: every subject key moves onto it (resuming after an interruption) and every token still reads', async () => {
    const made: { token: string; value: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const value = `kek-${i}@example.net`;
      const res = await h.call('api', 'POST', '/v1/tokenize', {
        subjectId: `cust-kek-${i}`,
        items: [{ field: 'email', value }],
      });
      made.push({ token: res.body.tokens[0], value });
    }
    const subjects = Number(
      (await h.owner.query('SELECT count(*) AS n FROM subject_keys WHERE erased_at IS NULL')).rows[0].n,
    );
    // Interrupted after the first subject key moved.
    const file = provider.file;
    await assert.rejects(
      rotateKeys(h.owner, new LocalKeyProvider({ file }), {
        newKek: true,
        batchSize: 1,
        progress: (m) => {
          if (m.startsWith('subject keys rewrapped')) throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    const mid = await h.owner.query(
      'SELECT new_kek_id, subject_keys_rewrapped, finished_at FROM key_rotations ORDER BY id DESC LIMIT 1',
    );
    const newKek = mid.rows[0].new_kek_id;
    assert.equal(mid.rows[0].subject_keys_rewrapped, 1);
    assert.equal(mid.rows[0].finished_at, null);
    // Resumed: the same new KEK, the rest moved.
    const result = await rotateKeys(h.owner, new LocalKeyProvider({ file }), { newKek: true });
    assert.equal(result.resumed, true);
    assert.equal(result.newKekId, newKek);
    assert.equal(result.subjectKeysRewrapped, subjects - 1);
    assert.equal(result.subjectKeysLeft, 0);
    const keks = await h.owner.query(
      'SELECT kek_id, count(*)::int AS n FROM subject_keys WHERE erased_at IS NULL GROUP BY kek_id',
    );
    assert.deepEqual(keks.rows, [{ kek_id: newKek, n: subjects }]);
    const active = await h.owner.query("SELECT id FROM provider_wrapped_keys WHERE purpose = 'kek' AND active");
    assert.deepEqual(active.rows, [{ id: newKek }]);

    // After the tokenizer's caches expire, every token is read through the new KEK.
    await sleep(CACHE_TTL_MS + 100);
    const read = await h.call('order-worker', 'POST', '/v1/detokenize', {
      items: made.map((m) => ({ token: m.token, field: 'email' })),
    });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(
      read.body.items.map((i: { value: string }) => i.value),
      made.map((m) => m.value),
    );
    // A new customer now gets a data key under the new KEK.
    await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-after-kek',
      items: [{ field: 'email', value: 'n@example.net' }],
    });
    const fresh = await h.owner.query("SELECT kek_id FROM subject_keys WHERE subject_id = 'cust-after-kek'");
    assert.equal(fresh.rows[0].kek_id, newKek);
  });
});
