import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { loggerOptions } from '@shop/shared/logger-options';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { LogCapture } from '@shop/shared/test-harness';
import pino from 'pino';
import { Allowlist } from '../src/allowlist.js';
import { createEgressProxy, type EgressProxy, type EgressProxyDeps, type EgressProxyOptions } from '../src/proxy.js';

export interface TestProxy {
  proxy: EgressProxy;
  port: number;
  logs: LogCapture;
}

/**
 * The egress proxy, as server.ts builds it (the shared logger with the allowlisted fields), on
 * 127.0.0.1 with a free port; closed after the test. `allow` is EGRESS_ALLOW's value.
 */
export async function startTestProxy(
  t: TestContext,
  options: { allow: string } & Partial<Omit<EgressProxyOptions, 'allow'>> & Pick<Partial<EgressProxyDeps>, 'connect'>,
): Promise<TestProxy> {
  const logs = new LogCapture();
  const log = pino(loggerOptions({ service: 'egress-proxy', level: 'info' }), logs);
  const proxy = createEgressProxy(
    {
      allow: new Allowlist(options.allow),
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      maxTunnels: options.maxTunnels ?? 256,
    },
    { log, ...(options.connect ? { connect: options.connect } : {}) },
  );
  const address = await proxy.listen(0, '127.0.0.1');
  t.after(() => proxy.close());
  return { proxy, port: address.port, logs };
}

export interface ProxyAnswer {
  /** The socket to the proxy: after a 200, the tunnel. */
  socket: net.Socket;
  status: number;
  head: string;
  /** Bytes that arrived after the answer's headers (a refusal's body, or the tunnel's first bytes). */
  rest: Buffer;
}

/** Sends raw bytes to the proxy and reads its answer's status line and headers. */
export function sendToProxy(port: number, request: string | Buffer): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const head = buffered.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
      resolve({ socket, status, head, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`the proxy closed without an answer: ${buffered.toString('latin1')}`)));
    socket.write(request);
  });
}

/** A CONNECT for `target`, answered; `after` is sent in the same write, behind the request. */
export async function connectThrough(port: number, target: string, after?: Buffer): Promise<ProxyAnswer> {
  const request = Buffer.from(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`, 'latin1');
  const answer = await sendToProxy(port, after ? Buffer.concat([request, after]) : request);
  answer.socket.removeAllListeners('close');
  answer.socket.on('error', () => {});
  return answer;
}

/** Everything the socket sends until it closes. */
export function readToEnd(socket: net.Socket, already: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks = [already];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.resume();
  });
}

/** Resolves when `socket` closes, with how long that took. */
export function closedWithin(socket: net.Socket): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(0);
    else socket.once('close', () => resolve(Date.now() - started));
    socket.resume();
  });
}

export interface TcpUpstream {
  port: number;
  /** Connections it accepted (a refused CONNECT must leave this at 0). */
  connections: number;
  /** Everything it received, all connections together. */
  received(): Buffer;
  stop(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that echoes what it receives (the simplest upstream to count bytes on). */
export async function startEchoUpstream(t: TestContext): Promise<TcpUpstream> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const upstream: TcpUpstream = {
    port: 0,
    connections: 0,
    received: () => Buffer.concat(chunks),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((socket) => {
    upstream.connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      socket.write(c);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  upstream.port = (server.address() as net.AddressInfo).port;
  t.after(() => upstream.stop());
  return upstream;
}

export interface TlsUpstream {
  port: number;
  ca: Buffer;
  connections: number;
  stop(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 with a certificate of a throwaway development CA (names
 * `localhost` and 127.0.0.1), answering every request with `answer` and the request's body.
 */
export async function startTlsUpstream(t: TestContext, answer: string): Promise<TlsUpstream> {
  const dir = await mkdtemp(join(tmpdir(), 'egress-ca-'));
  const ca = await new DevCertificateAuthority(dir, 'Egress Test CA').init();
  await ca.issue('upstream', { server: true });
  const material = await ca.material('upstream');
  const server = https.createServer({ cert: material.cert, key: material.key }, (req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const text = `${answer} ${Buffer.concat(body).toString('utf8')}`;
      res.writeHead(200, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(text),
        connection: 'close',
      });
      res.end(text);
    });
  });
  const upstream: TlsUpstream = {
    port: 0,
    ca: material.ca,
    connections: 0,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  server.on('secureConnection', () => {
    upstream.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  upstream.port = (server.address() as net.AddressInfo).port;
  t.after(() => upstream.stop());
  return upstream;
}
