import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTokenizer, type TokenizerHarness } from '../helper.js';
import { openVaultTarget, type VaultTarget } from '../keys/vault-target.js';

// With Vault sealed or refusing, the tokenizer answers 503 and never falls back to storing
// or returning anything in clear (ARCHITECTURE: keys in Vault; PCI DSS v4.0.1 3.5.1).
// Runs against the Vault double, or a real Vault when VAULT_ADDR and AppRole credentials are set.

const CACHE_TTL_MS = 200;
let vault: VaultTarget;
let h: TokenizerHarness;

before(async () => {
  vault = await openVaultTarget();
  h = await startTokenizer({ provider: vault.provider(), keyCache: { ttlMs: CACHE_TTL_MS } });
});
after(async () => {
  await h?.close();
  await vault?.close();
});

const email = (n: string) => ({ field: 'email', value: `sealed-${n}@example.net` });

describe(`key provider unavailable (${process.env.VAULT_ADDR ? 'real Vault' : 'Vault double'})`, () => {
  it('tokenizes through Vault transit while Vault is up', async () => {
    const res = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-v', items: [email('up')] });
    assert.equal(res.status, 200);
    assert.equal((await h.call('api', 'GET', '/readyz')).status, 200);
  });

  it('answers 503 tokenizer_keys_unavailable once Vault is sealed and the cached keys expired, storing nothing', async () => {
    const made = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-v', items: [email('before')] });
    const token = made.body.tokens[0];
    vault.seal();
    try {
      await sleep(CACHE_TTL_MS + 100);
      const rowsBefore = (await h.owner.query('SELECT count(*)::int AS n FROM tokens')).rows[0].n;
      const res = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-new', items: [email('during')] });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'tokenizer_keys_unavailable');
      const rowsAfter = (await h.owner.query('SELECT count(*)::int AS n FROM tokens')).rows[0].n;
      assert.equal(rowsAfter, rowsBefore, 'nothing stored without a key');
      const dump = await h.owner.query(
        "SELECT count(*)::int AS n FROM tokens WHERE encode(ciphertext, 'escape') LIKE '%sealed-during%'",
      );
      assert.equal(dump.rows[0].n, 0);

      const read = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
      assert.equal(read.status, 503);
      assert.equal(read.body.error.code, 'tokenizer_keys_unavailable');
      assert.ok(!JSON.stringify(read.body).includes('sealed-before'));

      const ready = await h.call('api', 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.notEqual(ready.body.checks.keys, 'ok');
      const failed = await h.owner.query(
        "SELECT operation, outcome, detail FROM audit_events WHERE outcome = 'failed' ORDER BY seq",
      );
      assert.deepEqual(
        failed.rows.map((r) => [r.operation, r.detail]),
        [
          ['tokenize', 'tokenizer_keys_unavailable'],
          ['detokenize', 'tokenizer_keys_unavailable'],
        ],
      );
    } finally {
      vault.unseal();
    }
    const back = await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] });
    assert.equal(back.status, 200);
    assert.equal(back.body.items[0].value, 'sealed-before@example.net');
  });

  it('answers 503 when Vault refuses the token (permission denied), never a plaintext fallback', async () => {
    await sleep(CACHE_TTL_MS + 100);
    vault.deny();
    try {
      const res = await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: 'x@example.net' });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'tokenizer_keys_unavailable');
      const tok = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-denied', items: [email('denied')] });
      assert.equal(tok.status, 503);
      assert.equal(tok.body.error.code, 'tokenizer_keys_unavailable');
    } finally {
      vault.allow();
    }
  });
});
