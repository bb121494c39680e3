import https from 'node:https';
import { expectServiceName, type TlsMaterial } from '@shop/shared/mtls';

/** The portal's view of the tokenizer: masked reads, one reveal with who and why, blind index. */
export interface TokenizerClient {
  masked(items: { token: string; field: string }[]): Promise<Map<string, string>>;
  reveal(item: { token: string; field: string }, staffHandle: string, reason: string): Promise<string>;
  blindIndex(field: 'email', value: string): Promise<string>;
}

/**
 * A reveal reason travels to the tokenizer as an HTTP header, which holds printable Latin-1 only
 * (U+0020-U+007E, U+00A0-U+00FF): no control character (log injection), nothing Node would
 * refuse to send or the tokenizer would read back altered.
 */
export function isHeaderSafeReason(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || (c > 0x7e && c < 0xa0) || c > 0xff) return false;
  }
  return true;
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
    // Exactly the two properties the tokenizer's schema allows (additionalProperties: false).
    const body = (await this.call('/v1/detokenize', {
      items: items.map(({ token, field }) => ({ token, field })),
    })) as { items: { token: string; value: string }[] };
    return new Map(body.items.map((i) => [i.token, i.value]));
  }

  async reveal(item: { token: string; field: string }, staffHandle: string, reason: string): Promise<string> {
    // A header carries Latin-1 only: anything else would throw in Node or arrive altered in the
    // tokenizer's audit; the route refuses such a reason before it gets here (isHeaderSafeReason).
    if (!isHeaderSafeReason(reason)) throw new TokenizerRefusedError('reason_not_latin1');
    const body = (await this.call(
      '/v1/detokenize',
      { items: [{ token: item.token, field: item.field }] },
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
