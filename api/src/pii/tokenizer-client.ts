import https from 'node:https';
import { expectServiceName, type TlsMaterial } from '@shop/shared/mtls';
import { PiiValueRejectedError } from '../errors.js';
import { type PiiClient, type PiiField, PiiUnavailableError } from './pii-client.js';

/**
 * The api's PiiClient over mutual TLS to the vault-tokenizer: the api proves who it is with
 * its certificate (the tokenizer's only authentication path) and accepts only a server
 * certificate naming `vault-tokenizer` from the internal CA. One keep-alive agent, so the
 * handshake cost is paid per connection, not per call; every call has a deadline.
 *
 * Failures: unreachable, timed out, TLS refused, 5xx, 401/403 (a policy or certificate
 * problem the shopper cannot fix) and malformed answers become PiiUnavailableError (503
 * `tokenizer_unavailable`). A value the tokenizer refuses (400/409/410/413) becomes
 * PiiRejectedError (400 `pii_value_rejected`): the shopper can correct it.
 */
export interface TokenizerClientOptions {
  /** `https://vault-tokenizer:3100` */
  url: string;
  tls: Pick<TlsMaterial, 'ca' | 'cert' | 'key'>;
  /** Service name the tokenizer's certificate must carry. */
  serverName?: string;
  /** Deadline of one call, connection included (ms). */
  timeoutMs?: number;
  maxSockets?: number;
}

export class PiiRejectedError extends PiiValueRejectedError {
  override name = 'PiiRejectedError';
  constructor(readonly tokenizerCode: string) {
    super();
  }
}

const REJECTED = new Set([400, 409, 410, 413]);

export class TokenizerClient implements PiiClient {
  private readonly agent: https.Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(options: TokenizerClientOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'https:') throw new Error('the tokenizer URL must be https (mutual TLS)');
    const serverName = options.serverName ?? 'vault-tokenizer';
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 32,
      ca: options.tls.ca,
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: 'TLSv1.2',
      servername: serverName,
      checkServerIdentity: expectServiceName(serverName),
    });
  }

  async tokenize(subjectId: string, items: { field: PiiField; value: string }[]): Promise<string[]> {
    const body = await this.post('/v1/tokenize', { subjectId, items });
    const tokens = (body as { tokens?: unknown }).tokens;
    if (!Array.isArray(tokens) || tokens.length !== items.length || !tokens.every((t) => typeof t === 'string')) {
      throw new PiiUnavailableError('tokenizer answered without one token per item');
    }
    return tokens as string[];
  }

  async blindIndex(field: PiiField, value: string): Promise<string> {
    const body = await this.post('/v1/blind-index', { field, value });
    const index = (body as { index?: unknown }).index;
    if (typeof index !== 'string' || index.length === 0)
      throw new PiiUnavailableError('tokenizer answered without an index');
    return index;
  }

  async eraseSubject(subjectId: string): Promise<void> {
    await this.call('DELETE', `/v1/subjects/${encodeURIComponent(subjectId)}`);
  }

  close(): void {
    this.agent.destroy();
  }

  private post(path: string, payload: unknown): Promise<unknown> {
    return this.call('POST', path, payload);
  }

  /** One call; resolves with the JSON body of a 200, or with undefined for a 204. */
  private call(method: 'POST' | 'DELETE', path: string, payload?: unknown): Promise<unknown> {
    const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          protocol: 'https:',
          hostname: this.base.hostname,
          port: this.base.port || 443,
          path,
          method,
          agent: this.agent,
          headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => reject(new PiiUnavailableError('tokenizer response interrupted')));
          res.on('end', () => {
            clearTimeout(deadline);
            const status = res.statusCode ?? 0;
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            if (status === 200 && body && typeof body === 'object') return resolve(body);
            if (status === 204 && method === 'DELETE') return resolve(undefined);
            if (REJECTED.has(status)) {
              const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
              return reject(new PiiRejectedError(typeof code === 'string' ? code : `http_${status}`));
            }
            // Never the tokenizer's message: it is not ours to show, and 5xx detail is internal.
            reject(new PiiUnavailableError(`tokenizer answered ${status}`));
          });
        },
      );
      const deadline = setTimeout(() => req.destroy(new Error('deadline')), this.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(deadline);
        // Network and TLS errors name no value; keep only the kind for operators.
        reject(
          new PiiUnavailableError(`tokenizer unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`),
        );
      });
      if (data) req.end(data);
      else req.end();
    });
  }
}
