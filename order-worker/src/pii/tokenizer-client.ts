import type https from 'node:https';
import { loadTlsMaterial, type TlsMaterial } from '@shop/shared/mtls';
import { mtlsAgent, postJson } from '@shop/shared/mtls-json';
import type { WorkerConfig } from '../config.js';

/** Fields the worker reads back (vault-tokenizer/policy/policy.json, caller `order-worker`). */
export type DetokenizeField = 'email' | 'name' | 'shipping_address';

/** The worker's only way to personal data: read one value per token, at send time, kept by nobody. */
export interface Detokenizer {
  detokenize(items: { token: string; field: DetokenizeField }[]): Promise<string[]>;
  close(): void;
}

/** The tokenizer could not answer (unreachable, 5xx, a policy refusal): the mail is tried again later. */
export class TokenizerUnavailableError extends Error {
  override name = 'TokenizerUnavailableError';
}

/** The subject was erased, or the token is unknown or refused: this mail can never be sent. */
export class RecipientGoneError extends Error {
  override name = 'RecipientGoneError';
}

// Erased subject or expired token (410), unknown token (404), a field or value it refuses: no retry helps.
const GONE = new Set([400, 404, 409, 410, 413]);

/**
 * The order-worker's tokenizer client over mutual TLS: it proves who it is with its own
 * certificate (`order-worker`, never the api's), accepts only a server certificate naming
 * `vault-tokenizer` from the internal CA, and may only detokenize (the policy denies it
 * tokenize, blind index and erase). Every call has a deadline.
 */
export class TokenizerClient implements Detokenizer {
  private readonly agent: https.Agent;
  private readonly base: URL;

  constructor(
    url: string,
    tls: Pick<TlsMaterial, 'ca' | 'cert' | 'key'>,
    private readonly timeoutMs = 5_000,
  ) {
    this.base = new URL(url);
    if (this.base.protocol !== 'https:') throw new Error('the tokenizer URL must be https (mutual TLS)');
    this.agent = mtlsAgent(tls, 'vault-tokenizer', 8);
  }

  async detokenize(items: { token: string; field: DetokenizeField }[]): Promise<string[]> {
    const { status, body } = await this.post('/v1/detokenize', { items });
    if (GONE.has(status)) throw new RecipientGoneError(`tokenizer answered ${status}`);
    const answered = (body as { items?: { value?: unknown; masked?: unknown }[] } | undefined)?.items;
    if (status !== 200 || !Array.isArray(answered) || answered.length !== items.length) {
      // Never the tokenizer's body: its messages are not ours to log.
      throw new TokenizerUnavailableError(`tokenizer answered ${status}`);
    }
    return answered.map((item) => {
      if (typeof item.value !== 'string' || item.masked !== false) {
        throw new TokenizerUnavailableError('tokenizer answered a masked or missing value');
      }
      return item.value;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async post(path: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    try {
      return await postJson(this.agent, this.base, path, payload, this.timeoutMs);
    } catch (err) {
      // Our own words (a network code): never the tokenizer's.
      throw new TokenizerUnavailableError(`tokenizer ${(err as Error).message}`);
    }
  }
}

/** The client the config asks for, or undefined when TOKENIZER_URL is unset (no mail is sent then). */
export async function tokenizerFromConfig(
  config: Pick<WorkerConfig, 'TOKENIZER_URL' | 'TOKENIZER_CA_FILE' | 'TOKENIZER_CERT_FILE' | 'TOKENIZER_KEY_FILE'>,
): Promise<TokenizerClient | undefined> {
  if (!config.TOKENIZER_URL) return undefined;
  const { TOKENIZER_CA_FILE: caFile, TOKENIZER_CERT_FILE: certFile, TOKENIZER_KEY_FILE: keyFile } = config;
  if (!caFile || !certFile || !keyFile) {
    throw new Error('TOKENIZER_CA_FILE, TOKENIZER_CERT_FILE and TOKENIZER_KEY_FILE are required with TOKENIZER_URL');
  }
  return new TokenizerClient(config.TOKENIZER_URL, await loadTlsMaterial({ caFile, certFile, keyFile }));
}
