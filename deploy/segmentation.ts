// The segmentation matrix of compose.yaml (PCI DSS v4.0.1 1.2, 1.3, 1.4, 11.4.5): for every
// service, which listening port of every other service it can open, derived from the networks
// it shares and the address each listener binds. The deployment test (deploy/test/stack.ts)
// probes the running stack from inside every service's network namespace and compares with this;
// deploy/test/segmentation.test.ts holds the derivation to the architecture's rules.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  environment?: Record<string, string>;
  ports?: unknown[];
  restart?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
}

/**
 * The TCP listeners of each service (ARCHITECTURE.md), with the environment variable that
 * names the address it binds, when it can bind one address only. A listener bound to an
 * address is reachable on that address's network alone; one bound to 0.0.0.0 on all of them.
 * RabbitMQ's Erlang distribution ports are listed so the test shows them closed to everyone.
 */
export const LISTENERS: Record<string, { port: number; bindVariable?: string; loopbackOnly?: boolean }[]> = {
  gateway: [{ port: 8443 }],
  api: [{ port: 3000, bindVariable: 'HOST' }],
  'admin-portal': [{ port: 3443, bindVariable: 'ADMIN_HOST' }],
  'vault-tokenizer': [{ port: 3100, bindVariable: 'TOKENIZER_HOST' }],
  postgres: [{ port: 5432 }],
  'tokenizer-db': [{ port: 5432 }],
  redis: [{ port: 6379 }],
  rabbitmq: [{ port: 5672 }, { port: 4369, loopbackOnly: true }, { port: 25672, loopbackOnly: true }],
  vault: [{ port: 8200 }],
  'egress-proxy': [{ port: 3128, bindVariable: 'EGRESS_HOST' }],
  // The order-worker listens on no port.
  'order-worker': [],
  // The portal forward listens on the tunnel address (10.13.13.1), on no compose network.
  vpn: [],
};

/** Flows the architecture forbids whatever the networks say (the issue's "must all be refused"). */
export const FORBIDDEN: { from: string; to: string; why: string }[] = [
  { from: 'api', to: 'admin-portal', why: 'the internet-facing api never reaches the staff portal' },
  { from: 'api', to: 'vault', why: 'only the tokenizer talks to Vault' },
  { from: 'api', to: 'tokenizer-db', why: 'the tokenizer database belongs to the tokenizer alone' },
  { from: 'order-worker', to: 'vault', why: 'only the tokenizer talks to Vault' },
  { from: 'order-worker', to: 'admin-portal', why: 'the worker never reaches the staff portal' },
  { from: 'gateway', to: 'postgres', why: 'the gateway reaches the api only' },
  { from: 'gateway', to: 'redis', why: 'the gateway reaches the api only' },
  { from: 'gateway', to: 'vault-tokenizer', why: 'the gateway reaches the api only' },
  { from: 'gateway', to: 'admin-portal', why: 'the gateway reaches the api only' },
  { from: 'vpn', to: 'api', why: 'staff reach the portal only' },
  { from: 'vpn', to: 'postgres', why: 'staff reach the portal only' },
  { from: 'vpn', to: 'vault-tokenizer', why: 'staff reach the portal only' },
  { from: 'vault-tokenizer', to: 'postgres', why: 'the tokenizer never reaches the shop database' },
  { from: 'admin-portal', to: 'egress-proxy', why: 'the portal has no way out' },
  { from: 'vault-tokenizer', to: 'egress-proxy', why: 'the tokenizer has no way out' },
];

/** The services that run (one-shot jobs excluded: they have exited before anything is probed). */
export function longRunning(compose: ComposeFile): string[] {
  return Object.keys(compose.services)
    .filter((s) => compose.services[s]?.restart !== 'no')
    .sort();
}

export function networksOf(s: ComposeService | undefined): string[] {
  const n = s?.networks ?? [];
  return Array.isArray(n) ? n : Object.keys(n);
}

function fixedAddress(s: ComposeService | undefined, network: string): string | undefined {
  const n = s?.networks;
  if (!n || Array.isArray(n)) return undefined;
  return n[network]?.ipv4_address;
}

/** Networks on which a listener of `service` accepts connections. */
export function listeningNetworks(
  compose: ComposeFile,
  service: string,
  listener: { bindVariable?: string; loopbackOnly?: boolean },
): string[] {
  if (listener.loopbackOnly) return [];
  const s = compose.services[service];
  const bind = listener.bindVariable ? s?.environment?.[listener.bindVariable] : undefined;
  const all = networksOf(s);
  if (!bind || bind === '0.0.0.0' || bind === '::') return all;
  return all.filter((n) => fixedAddress(s, n) === bind);
}

export interface Cell {
  from: string;
  to: string;
  port: number;
  /** The networks over which `from` reaches `to:port` (empty: refused). */
  via: string[];
}

/** The expected matrix: every long-running service against every other one's listeners. */
export function expectedMatrix(compose: ComposeFile): Cell[] {
  const running = longRunning(compose);
  const cells: Cell[] = [];
  for (const from of running) {
    const mine = new Set(networksOf(compose.services[from]));
    for (const to of running) {
      if (to === from) continue;
      for (const listener of LISTENERS[to] ?? []) {
        const via = listeningNetworks(compose, to, listener).filter((n) => mine.has(n));
        cells.push({ from, to, port: listener.port, via });
      }
    }
  }
  return cells;
}

/** Rule violations of a compose file: forbidden flows, unknown services, ports published by others. */
export function segmentationProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const cells = expectedMatrix(compose);
  for (const f of FORBIDDEN) {
    for (const c of cells.filter((c) => c.from === f.from && c.to === f.to && c.via.length > 0)) {
      problems.push(`${f.from} -> ${f.to}:${c.port} is open (via ${c.via.join(', ')}): ${f.why}`);
    }
  }
  for (const name of longRunning(compose)) {
    if (!(name in LISTENERS)) problems.push(`${name}: no entry in LISTENERS (deploy/segmentation.ts): list its ports`);
  }
  const publishing = Object.entries(compose.services)
    .filter(([, s]) => (s.ports ?? []).length > 0)
    .map(([n]) => n)
    .sort();
  for (const n of publishing) {
    if (n !== 'gateway' && n !== 'vpn') problems.push(`${n} publishes a port: only the gateway (443) and the VPN may`);
  }
  for (const [name, s] of Object.entries(compose.services)) {
    for (const p of s.ports ?? []) {
      const text = String(p);
      if (name === 'gateway' && text !== '443:8443') problems.push(`gateway publishes ${text}: only 443 (to 8443)`);
      if (name === 'vpn' && text !== '51820:51820/udp') problems.push(`vpn publishes ${text}: only 51820/udp`);
    }
  }
  return problems;
}

/** The internet side: what a host on each published network reaches (the gateway's and the VPN's). */
export function internetSide(compose: ComposeFile): Cell[] {
  const cells: Cell[] = [];
  for (const network of Object.keys(compose.networks).filter((n) => compose.networks[n]?.internal !== true)) {
    for (const to of longRunning(compose)) {
      for (const listener of LISTENERS[to] ?? []) {
        const via = listeningNetworks(compose, to, listener).filter((n) => n === network);
        cells.push({ from: `internet@${network}`, to, port: listener.port, via });
      }
    }
  }
  return cells;
}

export function renderMatrix(cells: Cell[], observed?: Map<string, boolean>): string {
  const key = (c: Cell) => `${c.from}>${c.to}:${c.port}`;
  const lines = cells.map((c) => {
    const want = c.via.length > 0 ? 'open' : 'refused';
    const seen = observed?.get(key(c));
    const got = seen === undefined ? '' : seen ? 'open' : 'refused';
    const mark = observed ? (got === want ? 'ok  ' : 'DIFF') : '';
    return `${mark} ${c.from.padEnd(22)} -> ${`${c.to}:${c.port}`.padEnd(22)} expected ${want.padEnd(8)}${observed ? ` observed ${got}` : ''}${c.via.length > 0 ? `  (${c.via.join(', ')})` : ''}`;
  });
  return lines.join('\n');
}

export function loadComposeFile(url: URL): ComposeFile {
  return parse(readFileSync(url, 'utf8'), { merge: true }) as ComposeFile;
}
