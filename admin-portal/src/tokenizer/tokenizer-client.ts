import https from 'node:https';
import { expectServiceName, type TlsMaterial } from '@shop/shared/mtls';

/** The portal's view of the tokenizer: masked reads, one reveal with who and why, blind index. */
export interface TokenizerClient {
  masked(items: { token: string; field: string }[]): Promise<Map<string, string>>;
  reveal(item: { token: string; field: string }, staffHandle: string, reason: string): Promise<string>;
  blindIndex(field: 'email', value: string): Promise<string>;
}

export class TokenizerUnavailableError extends Error {
  override name = 'TokenizerUnavailableError';
}

export class TokenizerRefusedError extends Error {
  override name = 'TokenizerRefusedError';
  constructor(readonly code: string) {
    super(`the tokenizer refused: ${code}`);
  }
}

/**
 * Over mTLS with the portal's certificate of the internal CA (service identity
 * `admin-portal`); the server must present the tokenizer's certificate. The staff handle and
 * reason travel as headers that the tokenizer audits on its side too.
 */
export class HttpTokenizerClient implements TokenizerClient {
  private readonly agent: https.Agent;

  constructor(
    private readonly baseUrl: string,
    material: TlsMaterial,
    private readonly timeoutMs = 5_000,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      ca: material.ca,
      cert: material.cert,
      key: material.key,
      checkServerIdentity: expectServiceName('vault-tokenizer'),
    });
  }

  async masked(items: { token: string; field: string }[]): Promise<Map<string, string>> {
    if (items.length === 0) return new Map();
    const body = (await this.call('/v1/detokenize', { items })) as { items: { token: string; value: string }[] };
    return new Map(body.items.map((i) => [i.token, i.value]));
  }

  async reveal(item: { token: string; field: string }, staffHandle: string, reason: string): Promise<string> {
    const body = (await this.call(
      '/v1/detokenize',
      { items: [item] },
      {
        'x-staff-identity': staffHandle,
        'x-reveal-reason': reason,
      },
    )) as { items: { value: string; masked: boolean }[] };
    const first = body.items[0];
    if (!first || first.masked) throw new TokenizerRefusedError('not_revealed');
    return first.value;
  }

  async blindIndex(field: 'email', value: string): Promise<string> {
    return ((await this.call('/v1/blind-index', { field, value })) as { index: string }).index;
  }

  close(): void {
    this.agent.destroy();
  }

  private call(path: string, payload: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const data = Buffer.from(JSON.stringify(payload));
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return reject(new TokenizerUnavailableError('the tokenizer answered something that is not JSON'));
            }
            const status = res.statusCode ?? 0;
            if (status === 200) return resolve(body);
            const code = (body as { error?: { code?: string } }).error?.code ?? `http_${status}`;
            reject(status >= 500 ? new TokenizerUnavailableError(code) : new TokenizerRefusedError(code));
          });
          res.on('error', () => reject(new TokenizerUnavailableError('connection lost')));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => reject(new TokenizerUnavailableError('unreachable')));
      req.end(data);
    });
  }
}
