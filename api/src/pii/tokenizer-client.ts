import type https from 'node:https';
import type { TlsMaterial } from '@shop/shared/mtls';
import { mtlsAgent, requestJson } from '@shop/shared/mtls-json';
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
    this.agent = mtlsAgent(options.tls, serverName, options.maxSockets ?? 32);
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

  /** One call; resolves with the JSON body of a 200, or with undefined for a 204 to a DELETE. */
  private async call(method: 'POST' | 'DELETE', path: string, payload?: unknown): Promise<unknown> {
    let answer: { status: number; body: unknown };
    try {
      answer = await requestJson(this.agent, this.base, method, path, payload, this.timeoutMs);
    } catch (err) {
      // Network and TLS errors name no value; keep only the kind for operators.
      throw new PiiUnavailableError(`tokenizer ${(err as Error).message}`);
    }
    const { status, body } = answer;
    if (status === 200 && body && typeof body === 'object') return body;
    if (status === 204 && method === 'DELETE') return undefined;
    if (REJECTED.has(status)) {
      const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
      throw new PiiRejectedError(typeof code === 'string' ? code : `http_${status}`);
    }
    // Never the tokenizer's message: it is not ours to show, and 5xx detail is internal.
    throw new PiiUnavailableError(`tokenizer answered ${status}`);
  }
}
