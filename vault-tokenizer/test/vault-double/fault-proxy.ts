import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestRecord } from './vault-double.js';

export interface InjectedFault {
  /** Only requests whose path matches; default every path. */
  path?: RegExp;
  status: number;
  body: unknown;
  /** How many matching requests get the fault; default 1. Infinity until `clear()`. */
  times?: number;
}

/** Vault's answers for a sealed node (api-docs/system/health and every other path). */
export const SEALED_FAULTS: InjectedFault[] = [
  {
    path: /^\/v1\/sys\/health$/,
    status: 503,
    body: { initialized: true, sealed: true, standby: true, version: 'sealed-by-fault-proxy' },
    times: Number.POSITIVE_INFINITY,
  },
  { status: 503, body: { errors: ['Vault is sealed'] }, times: Number.POSITIVE_INFINITY },
];

/**
 * An HTTP proxy in front of Vault (the real one or the double) that records every request
 * and can answer chosen requests with a fault instead of forwarding them: the way the same
 * retry and sealed tests run against a real Vault, whose state a test must not change.
 */
export class VaultFaultProxy {
  readonly requests: RequestRecord[] = [];
  private faults: (InjectedFault & { left: number })[] = [];
  private server: http.Server | undefined;
  private sockets = new Set<Socket>();
  url = '';

  constructor(
    private readonly upstream: string,
    /** PEM CA for an https upstream (VAULT_CACERT). */
    private readonly ca?: string,
  ) {}

  async start(): Promise<string> {
    const target = new URL(this.upstream);
    const agent = target.protocol === 'https:' ? https : http;
    this.server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://proxy').pathname;
      const token = req.headers['x-vault-token'];
      const record: RequestRecord = {
        at: Date.now(),
        method: req.method ?? '',
        path,
        hadToken: typeof token === 'string' && token.length > 0,
        status: 0,
      };
      this.requests.push(record);
      const fault = this.faults.find((f) => f.left > 0 && (!f.path || f.path.test(path)));
      if (fault) {
        fault.left -= 1;
        record.status = fault.status;
        const text = JSON.stringify(fault.body);
        req.resume();
        res.writeHead(fault.status, { 'content-type': 'application/json' }).end(text);
        return;
      }
      const upstreamReq = agent.request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          ...(this.ca ? { ca: this.ca } : {}),
        },
        (upstreamRes) => {
          record.status = upstreamRes.statusCode ?? 0;
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', () => {
        record.status = 502;
        if (!res.headersSent) res.writeHead(502).end();
      });
      req.pipe(upstreamReq);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  inject(...faults: InjectedFault[]): void {
    for (const fault of faults) this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  count(path: RegExp | string, status?: number): number {
    return this.requests.filter(
      (r) =>
        (typeof path === 'string' ? r.path === path : path.test(r.path)) &&
        (status === undefined || r.status === status),
    ).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
