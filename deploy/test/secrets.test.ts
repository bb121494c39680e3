import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { writeSecrets } from '../../scripts/secrets.js';

// `npm run secrets` (scripts/secrets.ts) against compose.yaml's `secrets:` section: a first
// deployment gets every file but those only the operator can supply, nothing is overwritten,
// and the certificates and keys are the ones each side needs (PCI DSS v4.0.1 3.6.1, 4.2.1, 8.3.2).

const compose = parse(readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8'), { merge: true }) as {
  secrets: Record<string, { file: string }>;
};
const OPERATOR = [
  'gateway.crt',
  'gateway.key',
  'stripe_secret_key',
  'stripe_publishable_key',
  'stripe_webhook_secret',
  'vault_setup_token',
  'smtp_url',
];
const root = mkdtempSync(join(tmpdir(), 'secrets-'));
after(() => rmSync(root, { recursive: true, force: true }));
const options = (dir: string) => ({
  dir,
  staffHandle: 'first-admin',
  vpnEndpoint: 'vpn.test:51820',
  selfSignedGateway: false,
});

describe('npm run secrets: every compose secret for a first deployment', () => {
  const dir = join(root, 'a');
  let first: Awaited<ReturnType<typeof writeSecrets>>;

  it('writes every file compose.yaml names except the operator-supplied ones, and lists those', async () => {
    first = await writeSecrets(options(dir));
    const files = Object.values(compose.secrets).map((s) => s.file.replace('./.secrets/', ''));
    const missing = files.filter((f) => !first.written.includes(f));
    assert.deepEqual(missing.sort(), [...OPERATOR].sort());
    for (const f of OPERATOR)
      assert.ok(
        first.todo.some((t) => t.startsWith(f)),
        `${f} is listed for the operator`,
      );
  });

  it('keeps the folder private and never overwrites a file on a second run', async () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const before = readFileSync(join(dir, 'api_database_url'), 'utf8');
    const second = await writeSecrets(options(dir));
    assert.deepEqual(second.written, []);
    assert.equal(readFileSync(join(dir, 'api_database_url'), 'utf8'), before);
    assert.equal(statSync(join(dir, 'staff', 'first-admin-wg0.conf')).mode & 0o777, 0o600);
  });

  it('gives every runtime role its own random password, none the owner’s', () => {
    const pw = (f: string) => new URL(readFileSync(join(dir, f), 'utf8').trim()).password;
    const all = [
      'api_database_url',
      'worker_database_url',
      'admin_portal_database_url',
      'api_migration_database_url',
    ].map(pw);
    assert.equal(new Set(all).size, all.length);
    for (const p of all) assert.ok(p.length >= 24);
  });

  it('issues the staff certificate from the staff CA only, and the portal a server certificate for the VPN address', () => {
    const staff = new X509Certificate(readFileSync(join(dir, 'staff', 'first-admin.crt')));
    const staffCa = new X509Certificate(readFileSync(join(dir, 'staff-ca.crt')));
    const internalCa = new X509Certificate(readFileSync(join(dir, 'internal-ca.crt')));
    assert.ok(staff.verify(staffCa.publicKey));
    assert.ok(!staff.verify(internalCa.publicKey), 'a staff certificate is never from the internal CA');
    const portal = new X509Certificate(readFileSync(join(dir, 'admin-portal.crt')));
    assert.ok(portal.verify(internalCa.publicKey));
    assert.match(portal.subjectAltName ?? '', /IP Address:10\.13\.13\.1/);
    assert.match(portal.subjectAltName ?? '', /DNS:admin-portal/);
  });

  it('[C-052] lets only Stripe out through the egress proxy, and the mail relay once it is named', async () => {
    assert.equal(readFileSync(join(dir, 'egress_allow'), 'utf8').trim(), 'api.stripe.com:443');
    assert.equal(readFileSync(join(dir, 'shop_origin'), 'utf8').trim(), 'https://localhost');
    assert.equal(readFileSync(join(dir, 'mail_from'), 'utf8').trim(), 'shop@localhost');
    assert.ok(first.todo.some((t) => t.startsWith('smtp_url') && t.includes('--smtp-relay')));
    const withRelay = join(root, 'relay');
    const r = await writeSecrets({
      ...options(withRelay),
      shopOrigin: 'https://shop.example',
      smtpRelay: 'relay.example:587',
    });
    assert.equal(readFileSync(join(withRelay, 'egress_allow'), 'utf8').trim(), 'api.stripe.com:443,relay.example:587');
    assert.equal(readFileSync(join(withRelay, 'mail_from'), 'utf8').trim(), 'shop@shop.example');
    assert.ok(r.todo.some((t) => t.startsWith('smtp_url') && t.includes('relay.example:587')));
    await assert.rejects(writeSecrets({ ...options(join(root, 'bad')), smtpRelay: 'relay.example' }), /host:port/);
    await assert.rejects(writeSecrets({ ...options(join(root, 'bad2')), shopOrigin: 'http://shop.example' }), /https/);
  });

  it('pairs the WireGuard keys: the staff device trusts the server key and the server the device key', () => {
    // The public half as `wg pubkey` derives it: X25519 of the raw private key.
    const pub = (priv: string) => {
      const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(priv, 'base64')]);
      const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
        format: 'der',
        type: 'spki',
      });
      return spki.subarray(-32).toString('base64');
    };
    const device = readFileSync(join(dir, 'staff', 'first-admin-wg0.conf'), 'utf8');
    const peers = readFileSync(join(dir, 'vpn_peers.conf'), 'utf8');
    const devicePriv = /PrivateKey = (\S+)/.exec(device)?.[1] as string;
    const serverPub = /PublicKey = (\S+)/.exec(device)?.[1] as string;
    assert.equal(pub(readFileSync(join(dir, 'vpn_server.key'), 'utf8').trim()), serverPub);
    assert.ok(peers.includes(`PublicKey = ${pub(devicePriv)}`));
    assert.match(peers, /AllowedIPs = 10\.13\.13\.2\/32/);
    assert.match(device, /AllowedIPs = 10\.13\.13\.1\/32/, 'the tunnel routes the portal address only');
  });
});
