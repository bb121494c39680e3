import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadStaffTls } from '../src/tls/server-tls.js';
import type { TestPki } from './support/pki.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ClientCert {
  cert: string | Buffer;
  key: string | Buffer;
}

/** A portal on a spare loopback port behind the real staff mTLS handshake. */
export async function startPortal(pki: TestPki): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildApp({ LOG_LEVEL: 'warn' }, { https: await loadStaffTls(pki.serverTlsFiles) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('portal did not listen on a port');
  return { app, port: address.port };
}

export async function clientCertOf(
  ca: { certFile(n: string): string; keyFile(n: string): string },
  name: string,
): Promise<ClientCert> {
  return { cert: await readFile(ca.certFile(name)), key: await readFile(ca.keyFile(name)) };
}

/** One HTTPS request over a real TLS connection; `agent` options choose the client certificate. */
export function request(
  port: number,
  agent: https.Agent,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
