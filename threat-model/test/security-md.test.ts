import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { WorkerConfigSchema } from '../../order-worker/src/config.js';
import { ROOT } from '../src/inputs.js';
import { model } from '../src/model.js';
import { loadMapping, mappingItems } from '../src/pci-checks.js';

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
  it('the admin portal is not deployed: no WebAuthn, no service on the admin network', () => {
    assert.match(limitations, /admin portal is partly built and not deployed/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'admin-portal/package.json'), 'utf8'));
    assert.ok(manifest.dependencies['@simplewebauthn/server'], 'the WebAuthn library is a dependency');
    assert.ok(!existsSync(join(ROOT, 'admin-portal/src/auth/webauthn.ts')), 'WebAuthn is built: update SECURITY.md');
    assert.ok(!Object.values(compose.services).some((s) => networksOf(s).includes('admin')));
  });

  it('the staff controls are only partial in the PCI DSS mapping while compose does not run the portal', () => {
    assert.match(limitations, /staff controls \(PCI DSS 7\.2\.3, 8\.4\.2, 8\.5\.1, 10\.2\.1\.2\) are only `partial`/);
    assert.ok(!('admin-portal' in compose.services), 'compose runs the portal: update the mapping and SECURITY.md');
    const items = new Map(mappingItems(loadMapping(ROOT)).map((i) => [i.id, i.status]));
    for (const id of ['7.2.3', '8.4.2', '8.5.1', '10.2.1.2']) assert.equal(items.get(id), 'partial', id);
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
