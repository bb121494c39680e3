import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { egressAllowlist } from '../../scripts/secrets.js';
import { ROOT } from '../src/inputs.js';
import { model } from '../src/model.js';

// SECURITY.md's known limitations must stay true: each test below pins one, and fails the day
// the limitation is fixed, so the sentence is removed from SECURITY.md with the fix.

const security = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
const limitations = security.slice(security.indexOf('## Known limitations'));
const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { networks?: string[] | Record<string, unknown>; environment?: Record<string, string> }>;
};

describe('SECURITY.md known limitations are still true', () => {
  it('tokenizer reads for mail are audited per caller, not per shopper', () => {
    // The audit rows have no subject column: reads are attributed to a caller, not a shopper.
    assert.match(limitations, /audited as an `order-worker` detokenize, not per shopper/);
    const migrations = readdirSync(join(ROOT, 'vault-tokenizer/migrations'))
      .map((f) => readFileSync(join(ROOT, 'vault-tokenizer/migrations', f), 'utf8'))
      .join('\n');
    assert.doesNotMatch(/CREATE TABLE[^;]*audit_events[^;]*;/is.exec(migrations)?.[0] ?? 'missing', /subject/i);
  });

  it('no Vault audit device is enabled', () => {
    assert.match(limitations, /No Vault audit device is enabled \(T-R04\)/);
    assert.doesNotMatch(readFileSync(join(ROOT, 'vault/setup-approle.sh'), 'utf8'), /audit enable/);
    assert.equal(model.threats.find((t) => t.id === 'T-R04')?.status, 'open');
  });

  it('the egress proxy allows names, not addresses, and pins none', () => {
    assert.match(limitations, /The egress proxy allows host names and ports/);
    assert.equal(egressAllowlist('relay.example:587'), 'api.stripe.com:443,relay.example:587');
    assert.equal(compose.services['egress-proxy']?.environment?.EGRESS_ALLOW_FILE, '/run/secrets/egress_allow');
    assert.equal(model.threats.find((t) => t.id === 'T-S31')?.status, 'mitigated');
  });

  it('Vault runs with mlock disabled', () => {
    assert.match(limitations, /Vault runs with `disable_mlock = true`/);
    assert.match(readFileSync(join(ROOT, 'vault/vault.hcl'), 'utf8'), /^disable_mlock = true$/m);
  });

  it('the VPN container starts as root with three capabilities', () => {
    assert.match(limitations, /staff VPN container starts as root with `NET_ADMIN`, `SETUID` and `SETGID`/);
    const vpn = compose.services.vpn as { user?: string; cap_add?: string[] };
    assert.equal(vpn.user, '0:0');
    assert.deepEqual(vpn.cap_add, ['NET_ADMIN', 'SETUID', 'SETGID']);
  });

  it('the internal plain links are an accepted risk until the date stated', () => {
    const expiry = /accepted risk until (\d{4}-\d{2}-\d{2}) \(T-T07, T-I14\)/.exec(limitations)?.[1];
    for (const id of ['T-T07', 'T-I14'])
      assert.equal(model.threats.find((t) => t.id === id)?.acceptance?.expires, expiry);
  });
});
