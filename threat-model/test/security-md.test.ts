import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { WorkerConfigSchema } from '../../order-worker/src/config.js';
import { ROOT } from '../src/inputs.js';
import { model } from '../src/model.js';

// SECURITY.md's known limitations must stay true: each test below pins one, and fails the day
// the limitation is fixed, so the sentence is removed from SECURITY.md with the fix.

const security = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
const limitations = security.slice(security.indexOf('## Known limitations'));
const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { networks?: string[] | Record<string, unknown>; environment?: Record<string, string> }>;
};
const networksOf = (s: { networks?: string[] | Record<string, unknown> }) =>
  Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});

describe('SECURITY.md known limitations are still true', () => {
  it('the deployed admin portal has no first staff registration inside the stack, and the staff items stay partial', () => {
    assert.match(limitations, /no way yet to register its first staff certificate from inside the stack/);
    assert.ok(
      'admin-portal' in compose.services && 'vpn' in compose.services,
      'compose runs the portal behind the VPN',
    );
    const jobs = Object.keys(compose.services).filter((name) => /staff|bootstrap/.test(name));
    assert.deepEqual(jobs, [], 'a staff bootstrap job exists: update SECURITY.md and the mapping');
    const mapping = readFileSync(join(ROOT, 'policies/pci-dss-v4.0.1.yaml'), 'utf8');
    for (const item of ['7.2.3', '8.2.6', '8.2.8', '8.4.2', '10.2.1.2']) {
      const entry = new RegExp(`${item.replace(/\./g, '\\.')}:\\s*\\{[^}]*status: partial`).test(mapping);
      assert.ok(entry, `${item} is partial`);
    }
  });

  it('the order-worker can send mail but compose gives it no certificate or relay, and it has no Stripe setting', () => {
    assert.match(limitations, /`compose.yaml` gives it no certificate and no `SMTP_URL` yet/);
    assert.ok('SMTP_URL' in WorkerConfigSchema.properties && 'TOKENIZER_URL' in WorkerConfigSchema.properties);
    assert.ok(!Object.keys(WorkerConfigSchema.properties).some((k) => k.startsWith('STRIPE_')));
    const env = compose.services['order-worker']?.environment ?? {};
    assert.ok(!Object.keys(env).some((k) => /^(TOKENIZER|STRIPE|SMTP)_/.test(k)));
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

  it('the api has no route to Stripe in compose: all its networks are internal, no egress service', () => {
    assert.match(limitations, /the api has no route to Stripe/);
    const nets = (compose as unknown as { networks: Record<string, { internal?: boolean } | null> }).networks;
    const api = compose.services.api as { networks?: string[] | Record<string, unknown> };
    assert.ok(networksOf(api).every((n) => nets[n]?.internal === true));
    assert.ok(!Object.keys(compose.services).some((n) => /egress|proxy/.test(n)));
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
