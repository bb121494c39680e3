import type { FastifyBaseLogger } from 'fastify';
import { TokenizerUnavailableError } from '../errors.js';
import { type PiiClient, PiiUnavailableError } from './pii-client.js';

/**
 * Runs the calls a route makes to the tokenizer. No tokenizer configured, or one that cannot
 * be reached, answers 503 `tokenizer_unavailable` with a generic message: there is no
 * plaintext fallback (ARCHITECTURE non-negotiable 2), and the client's internal reason
 * (a TLS or network code) is logged, never sent. A value the tokenizer refuses stays a 400
 * `pii_value_rejected` the shopper can correct.
 */
export async function usePii<T>(
  pii: PiiClient | undefined,
  log: FastifyBaseLogger,
  call: (pii: PiiClient) => Promise<T>,
): Promise<T> {
  if (!pii) throw new TokenizerUnavailableError();
  try {
    return await call(pii);
  } catch (err) {
    if (err instanceof PiiUnavailableError) {
      log.warn({ err }, 'tokenizer unavailable');
      throw new TokenizerUnavailableError();
    }
    throw err;
  }
}
