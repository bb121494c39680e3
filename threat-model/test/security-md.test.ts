import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  it('the admin portal runs in npm start but is not deployed: no service on the admin network, staff items partial', () => {
    assert.match(limitations, /admin portal runs in `npm start` but is not deployed/);
    assert.ok(existsSync(join(ROOT, 'admin-portal/src/auth/webauthn.ts')), 'WebAuthn is built');
    assert.ok(readFileSync(join(ROOT, 'scripts/start.mjs'), 'utf8').includes('startAdminPortal'), 'npm start runs it');
    assert.ok(
      !Object.values(compose.services).some((s) => networksOf(s).includes('admin')),
      'a service on the admin network: the portal is deployed, update SECURITY.md and the mapping',
    );
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

  it('the Redis configuration compose mounts is missing and its threats are open', () => {
    assert.match(limitations, /mounts `\.\/gateway\/redis\.conf`, which the repository does not contain/);
    assert.equal(existsSync(join(ROOT, 'gateway/redis.conf')), false);
    for (const id of ['T-S08', 'T-S09', 'T-R04'])
      assert.equal(model.threats.find((t) => t.id === id)?.status, 'open', id);
  });

  it('compose still pins RabbitMQ 3.13 and Vault 1.17', () => {
    assert.match(limitations, /still pins `rabbitmq:3\.13` and `hashicorp\/vault:1\.17`/);
    const images = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
    assert.match(images, /image: rabbitmq:3\.13-/);
    assert.match(images, /image: hashicorp\/vault:1\.17/);
  });

  it('the internal plain links are an accepted risk until the date stated', () => {
    const expiry = /accepted risk until (\d{4}-\d{2}-\d{2}) \(T-T07, T-I14\)/.exec(limitations)?.[1];
    for (const id of ['T-T07', 'T-I14'])
      assert.equal(model.threats.find((t) => t.id === id)?.acceptance?.expires, expiry);
  });
});
