import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

// The network rules of ARCHITECTURE.md, checked against compose.yaml, the source of truth
// for what can reach what (PCI DSS v4.0.1 1.2, 1.3: network security controls and CDE segmentation).
interface Service {
  ports?: unknown[];
  networks?: string[] | Record<string, unknown>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  privileged?: boolean;
  network_mode?: string;
  environment?: Record<string, string>;
}
interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean } | null>;
}

const compose = parse(readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8'), { merge: true }) as Compose;
const services = compose.services;

function networksOf(name: string): string[] {
  const n = services[name]?.networks ?? [];
  return Array.isArray(n) ? n : Object.keys(n);
}
function canReach(a: string, b: string): boolean {
  const mine = new Set(networksOf(a));
  return networksOf(b).some((n) => mine.has(n));
}

describe('[C-020] compose.yaml network segmentation', () => {
  it('publishes ports only on the gateway (443) and the staff VPN (WireGuard, UDP)', () => {
    const publishing = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([name]) => name);
    assert.deepEqual(
      publishing.filter((n) => n !== 'gateway' && n !== 'vpn'),
      [],
    );
    assert.ok(publishing.includes('gateway'));
    assert.deepEqual(services.gateway?.ports, ['443:8443']);
    assert.deepEqual(services.vpn?.ports, ['51820:51820/udp']);
  });

  it('keeps every network but the two edges and the way out internal (no route out)', () => {
    for (const [name, net] of Object.entries(compose.networks)) {
      if (name === 'edge' || name === 'staff-edge' || name === 'outbound') continue;
      assert.equal(net?.internal, true, `network ${name} must be internal`);
    }
  });

  it('puts the gateway alone on the edge network, the VPN alone on the staff edge and the egress proxy alone on the way out', () => {
    for (const name of Object.keys(services)) {
      if (name !== 'gateway') assert.ok(!networksOf(name).includes('edge'), `${name} must not be on edge`);
      if (name !== 'vpn') assert.ok(!networksOf(name).includes('staff-edge'), `${name} must not be on staff-edge`);
      if (name !== 'egress-proxy') assert.ok(!networksOf(name).includes('outbound'), `${name} must not be on outbound`);
    }
    assert.deepEqual(networksOf('vpn').sort(), ['admin', 'staff-edge']);
    assert.deepEqual(networksOf('egress-proxy').sort(), ['egress', 'outbound']);
  });

  it('[C-052] gives the egress network to the api and the order-worker only, whose way out is the proxy', () => {
    const onEgress = Object.keys(services).filter((n) => networksOf(n).includes('egress'));
    assert.deepEqual(onEgress.sort(), ['api', 'egress-proxy', 'order-worker']);
    assert.equal(services.api?.environment?.STRIPE_PROXY_URL, 'http://172.30.7.10:3128');
    assert.equal(services['order-worker']?.environment?.SMTP_PROXY_URL, 'http://172.30.7.10:3128');
    assert.equal(services['egress-proxy']?.environment?.EGRESS_HOST, '172.30.7.10', 'it listens on egress only');
  });

  it('puts only the VPN and the admin portal on the admin network, and the portal on nothing internet-facing', () => {
    const onAdmin = Object.keys(services).filter((n) => networksOf(n).includes('admin'));
    assert.deepEqual(onAdmin.sort(), ['admin-portal', 'vpn']);
    assert.deepEqual(networksOf('admin-portal').sort(), ['admin', 'data', 'pii']);
    for (const n of ['edge', 'app']) assert.ok(!networksOf('admin-portal').includes(n));
  });

  it('never lets the api reach Vault, the tokenizer database or the admin network', () => {
    for (const target of ['vault', 'tokenizer-db', 'vault-setup']) {
      assert.equal(canReach('api', target), false, `api must not reach ${target}`);
      assert.equal(canReach('order-worker', target), false, `order-worker must not reach ${target}`);
      assert.equal(canReach('gateway', target), false, `gateway must not reach ${target}`);
    }
    assert.ok(!networksOf('api').includes('admin'));
  });

  it('lets the gateway reach only the api, and the tokenizer only its own data and Vault', () => {
    const fromGateway = Object.keys(services).filter((n) => n !== 'gateway' && canReach('gateway', n));
    assert.deepEqual(fromGateway, ['api']);
    assert.deepEqual(networksOf('vault-tokenizer').sort(), ['pii', 'vault']);
    assert.equal(canReach('vault-tokenizer', 'postgres'), false, 'the tokenizer never reaches the shop database');
  });

  it('runs no service privileged or on the host network', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.notEqual(s.privileged, true, name);
      assert.notEqual(s.network_mode, 'host', name);
      assert.ok((s.security_opt ?? []).includes('no-new-privileges:true'), `${name}: no-new-privileges`);
    }
  });

  it('trusts X-Forwarded-For only from the gateway address (PITFALLS: trustProxy)', () => {
    const trusted = services.api?.environment?.TRUSTED_PROXIES;
    assert.ok(trusted && !trusted.includes('/') && !/^(true|\*)$/.test(trusted), 'a single gateway address');
    const gatewayApp = (services.gateway?.networks as Record<string, { ipv4_address?: string }> | undefined)?.app;
    assert.equal(gatewayApp?.ipv4_address, trusted, 'TRUSTED_PROXIES is the gateway address on the app network');
  });

  it('keeps secrets out of the file: only *_FILE references, no inline credentials', () => {
    const text = readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8');
    assert.doesNotMatch(text, /(sk|rk)_(live|test)_[0-9A-Za-z]{8,}/);
    assert.doesNotMatch(text, /whsec_[0-9A-Za-z]{8,}/);
    assert.doesNotMatch(text, /:\/\/[^:\s/]+:[^@\s]+@/, 'no credentials inside URLs');
    assert.doesNotMatch(text, /PASSWORD: /);
  });
});
