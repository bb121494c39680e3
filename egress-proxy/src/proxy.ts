import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Allowlist } from './allowlist.js';

/**
 * The shop's only way out (PCI DSS v4.0.1 1.3.2, 1.4.x; control C-052): an HTTP CONNECT
 * forward proxy that opens a TCP tunnel to an allowlisted `host:port` and to nothing else.
 * TLS runs end to end through the tunnel, between the api and Stripe: the proxy never holds a
 * key, never sees a request, and never logs a byte of what it carries, only how many.
 *
 * Answers: 200 and a tunnel for an allowed target; 403 for any other target; 400 for a
 * target that is not `host:port`; 405 for every request that is not a CONNECT (no plain
 * proxying, no pages); 503 past the tunnel limit; 502 when the upstream refuses or cannot be
 * resolved; 504 when it does not answer in time. Bodies are one word; no error detail leaves.
 */

export interface EgressProxyOptions {
  allow: Allowlist;
  /** Upstream connect (DNS included) deadline; past it the client gets 504. */
  connectTimeoutMs: number;
  /** A tunnel with no byte either way for this long is closed. */
  idleTimeoutMs: number;
  /** Tunnels at once, connecting or established; past it the client gets 503. */
  maxTunnels: number;
}

export interface EgressProxyDeps {
  log: Logger;
  /** Opens the upstream connection: `net.connect` (the OS resolver); a test may hand another. */
  connect?: (target: { host: string; port: number }) => net.Socket;
}

export interface EgressProxy {
  readonly server: http.Server;
  /** Tunnels open now (connecting or established). */
  openTunnels(): number;
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting, lets open tunnels finish for up to `graceMs`, then cuts the rest (the
   * Stripe client retries a cut request with the same idempotency key).
   */
  close(graceMs?: number): Promise<void>;
}

/** Every answer that is not a tunnel: its status and the one word the client is told. */
const REFUSALS = {
  denied: { status: 403, text: 'Forbidden' },
  malformed: { status: 400, text: 'Bad Request' },
  method: { status: 405, text: 'Method Not Allowed' },
  slow: { status: 408, text: 'Request Timeout' },
  busy: { status: 503, text: 'Service Unavailable' },
  unreachable: { status: 502, text: 'Bad Gateway' },
  timeout: { status: 504, text: 'Gateway Timeout' },
} as const;

export type Refusal = keyof typeof REFUSALS;

function refusalResponse(reason: Refusal): string {
  const { status, text } = REFUSALS[reason];
  const body = `${reason}\n`;
  const allow = reason === 'method' ? 'Allow: CONNECT\r\n' : '';
  return `HTTP/1.1 ${status} ${text}\r\n${allow}Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

/** Where an absolute-form request (plain proxying) wanted to go: host and port, never path or query. */
function absoluteFormTarget(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}

interface Tunnel {
  client: Duplex;
  upstream: net.Socket;
  target: string;
  clientAddress: string | undefined;
  started: number;
  established: boolean;
  /** The first cause of the end wins: later events are consequences of it. */
  outcome: string | undefined;
  statusCode: number;
  err: unknown;
  open: number;
  done: Promise<void>;
}

export function createEgressProxy(options: EgressProxyOptions, deps: EgressProxyDeps): EgressProxy {
  const { log } = deps;
  const connect = deps.connect ?? ((t) => net.connect({ host: t.host, port: t.port }));
  const tunnels = new Set<Tunnel>();
  let closing = false;

  const server = http.createServer({
    // A client that does not finish its request line and headers in time is dropped.
    headersTimeout: 10_000,
    requestTimeout: 10_000,
    connectionsCheckingInterval: 2_000,
    maxHeaderSize: 8_192,
  });

  function refused(reason: Refusal, clientAddress: string | undefined, target?: string, extra: object = {}): void {
    log.warn(
      { event: 'egress.refused', reason, statusCode: REFUSALS[reason].status, target, clientAddress, ...extra },
      'egress refused',
    );
  }

  function refuseSocket(socket: Duplex, reason: Refusal): void {
    socket.end(refusalResponse(reason));
    // A client that never reads the answer does not keep the socket.
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  // Every request that is not a CONNECT: no plain proxying, no page, no health route.
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    refused('method', req.socket.remoteAddress, absoluteFormTarget(req.url), { method: req.method });
    res.writeHead(405, { allow: 'CONNECT', 'content-type': 'text/plain', 'content-length': 7, connection: 'close' });
    res.end('method\n');
    req.resume();
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    refused('method', req.socket.remoteAddress, absoluteFormTarget(req.url), { method: req.method });
    refuseSocket(socket, 'method');
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const address = (socket as net.Socket).remoteAddress;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const reason: Refusal = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'slow' : 'malformed';
    refused(reason, address, undefined, { err });
    refuseSocket(socket, reason);
  });

  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => {});
    const clientAddress = req.socket.remoteAddress;
    const decision = options.allow.decide(req.url ?? '');
    if (decision.verdict === 'malformed') {
      refused('malformed', clientAddress, req.url);
      refuseSocket(client, 'malformed');
      return;
    }
    if (decision.verdict === 'denied') {
      refused('denied', clientAddress, decision.name);
      refuseSocket(client, 'denied');
      return;
    }
    if (closing || tunnels.size >= options.maxTunnels) {
      refused('busy', clientAddress, decision.name, { tunnels: tunnels.size });
      refuseSocket(client, 'busy');
      return;
    }
    openTunnel(client, head, decision.target, decision.name, clientAddress);
  });

  function openTunnel(
    client: Duplex,
    head: Buffer,
    target: { host: string; port: number },
    name: string,
    clientAddress: string | undefined,
  ): void {
    // Nothing the client sends is read until the upstream is there to take it.
    client.pause();
    const upstream = connect(target);
    let finish: () => void = () => {};
    const tunnel: Tunnel = {
      client,
      upstream,
      target: name,
      clientAddress,
      started: performance.now(),
      established: false,
      outcome: undefined,
      statusCode: 0,
      err: undefined,
      open: 2,
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    tunnels.add(tunnel);

    const end = (outcome: string, err?: unknown) => {
      if (tunnel.outcome !== undefined) return;
      tunnel.outcome = outcome;
      tunnel.err = err;
    };
    const cut = (outcome: string, err?: unknown) => {
      end(outcome, err);
      client.destroy();
      upstream.destroy();
    };
    const fail = (reason: 'unreachable' | 'timeout', err?: unknown) => {
      if (tunnel.established || tunnel.outcome !== undefined) return;
      end(reason, err);
      tunnel.statusCode = REFUSALS[reason].status;
      upstream.destroy();
      refuseSocket(client, reason);
    };
    const closed = () => {
      tunnel.open -= 1;
      if (tunnel.open > 0) return;
      clearTimeout(connectTimer);
      tunnels.delete(tunnel);
      logTunnel(tunnel);
      finish();
    };

    const connectTimer = setTimeout(() => fail('timeout'), options.connectTimeoutMs);
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      if (tunnel.outcome !== undefined) return;
      tunnel.established = true;
      tunnel.statusCode = 200;
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      // Bytes the client sent right after its CONNECT (a TLS ClientHello, pipelined) go first.
      if (head.length > 0) upstream.write(head);
      // Socket timeouts restart on every read and write, so either one idle means both are.
      for (const socket of [client, upstream] as net.Socket[]) {
        socket.setTimeout(options.idleTimeoutMs);
        socket.on('timeout', () => cut('idle'));
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', (err) => (tunnel.established ? cut('upstream_error', err) : fail('unreachable', err)));
    client.on('error', (err) => cut('client_error', err));
    // One side gone: the other is ended gracefully (what it still buffers is delivered first)
    // and read to its end, discarding what has nowhere to go, so its close is seen; a side that
    // then never closes is cut by the idle timeout.
    upstream.on('close', () => {
      if (tunnel.established) {
        end('closed');
        client.end();
        client.resume();
      }
      closed();
    });
    client.on('close', () => {
      if (tunnel.established) {
        end('closed');
        upstream.end();
        upstream.resume();
      } else if (tunnel.outcome === undefined) {
        // The client left before the upstream answered.
        end('abandoned');
        upstream.destroy();
      }
      closed();
    });
  }

  function logTunnel(t: Tunnel): void {
    const fields = {
      event: 'egress.tunnel',
      target: t.target,
      outcome: t.outcome ?? 'closed',
      statusCode: t.statusCode || undefined,
      bytesUp: t.upstream.bytesWritten,
      bytesDown: t.upstream.bytesRead,
      durationMs: Math.round(performance.now() - t.started),
      clientAddress: t.clientAddress,
      err: t.err,
    };
    if (t.outcome === 'closed' || t.outcome === 'idle') log.info(fields, 'egress tunnel closed');
    else log.warn(fields, 'egress tunnel failed');
  }

  return {
    server,
    openTunnels: () => tunnels.size,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close(graceMs = 0) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (tunnels.size > 0 && graceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...tunnels].map((t) => t.done)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const t of tunnels) {
        t.outcome ??= 'shutdown';
        t.client.destroy();
        t.upstream.destroy();
      }
      await Promise.all([...tunnels].map((t) => t.done));
      server.closeAllConnections();
      await stopped;
    },
  };
}
