import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
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
  it('the admin portal is not deployed: no WebAuthn, no npm start, no service on the admin network', () => {
    assert.match(limitations, /admin portal is partly built and not deployed/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'admin-portal/package.json'), 'utf8'));
    assert.ok(manifest.dependencies['@simplewebauthn/server'], 'the WebAuthn library is a dependency');
    assert.ok(!existsSync(join(ROOT, 'admin-portal/src/auth/webauthn.ts')), 'WebAuthn is built: update SECURITY.md');
    assert.ok(
      !readFileSync(join(ROOT, 'scripts/start.mjs'), 'utf8').includes('admin-portal'),
      'npm start runs the portal',
    );
  });

  it('the order-worker logs mails instead of sending them and has no tokenizer or Stripe setting', () => {
    assert.match(limitations, /order-worker has no tokenizer, Stripe or SMTP client yet/);
    const env = compose.services['order-worker']?.environment ?? {};
    assert.equal(env.MAIL_TRANSPORT, 'log');
    assert.ok(!Object.keys(env).some((k) => /^(TOKENIZER|STRIPE|SMTP)_/.test(k)));
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

  it('the shopper routes for verification, reset, export and deletion are not built', () => {
    assert.match(limitations, /email verification, password reset, data export and account deletion/);
    const sources = readdirSync(join(ROOT, 'api/src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(ROOT, 'api/src', f), 'utf8'))
      .join('\n');
    assert.doesNotMatch(sources, /password-reset|verify-email|me\/export|me\/delete/);
  });
});
