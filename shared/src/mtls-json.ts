import https from 'node:https';
import { expectServiceName, type TlsMaterial } from './mtls.js';

/**
 * A keep-alive agent for calling an internal service over mutual TLS: this service's own
 * certificate, only the internal CA trusted, and the peer's certificate must name `serverName`.
 */
export function mtlsAgent(
  tls: Pick<TlsMaterial, 'ca' | 'cert' | 'key'>,
  serverName: string,
  maxSockets = 32,
): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    servername: serverName,
    checkServerIdentity: expectServiceName(serverName),
  });
}

/** The peer could not be reached, did not answer in time, or broke off its answer. */
export class MtlsRequestError extends Error {
  override name = 'MtlsRequestError';
}

/** POSTs a JSON body and reads the answer (see `requestJson`). */
export function postJson(
  agent: https.Agent,
  base: URL,
  path: string,
  payload: unknown,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  return requestJson(agent, base, 'POST', path, payload, timeoutMs);
}

/**
 * Sends one request, with a JSON body when `payload` is given, and reads the answer: its status
 * and its JSON body (undefined when not JSON, or empty as a 204). The deadline covers the whole
 * call, connection included. The error names only a network code, never anything the peer sent.
 */
export function requestJson(
  agent: https.Agent,
  base: URL,
  method: 'POST' | 'DELETE',
  path: string,
  payload: unknown,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        protocol: 'https:',
        hostname: base.hostname,
        port: base.port || 443,
        path,
        method,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => reject(new MtlsRequestError('response interrupted')));
        res.on('end', () => {
          clearTimeout(deadline);
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    const deadline = setTimeout(
      () => req.destroy(Object.assign(new Error('deadline'), { code: 'deadline' })),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(new MtlsRequestError(`unreachable (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
    });
    if (data) req.end(data);
    else req.end();
  });
}
