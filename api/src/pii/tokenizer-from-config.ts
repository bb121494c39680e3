import { loadTlsMaterial } from '@shop/shared/mtls';
import type { ApiConfig } from '../config.js';
import { TokenizerClient } from './tokenizer-client.js';

type TokenizerConfig = Pick<
  ApiConfig,
  'TOKENIZER_URL' | 'TOKENIZER_CA_FILE' | 'TOKENIZER_CERT_FILE' | 'TOKENIZER_KEY_FILE'
>;

/**
 * The tokenizer client the config asks for, or undefined when TOKENIZER_URL is unset (routes
 * that need personal data then answer 503 `tokenizer_unavailable`). A missing or unreadable
 * PEM file stops the start, naming the file.
 */
export async function tokenizerFromConfig(config: TokenizerConfig): Promise<TokenizerClient | undefined> {
  if (!config.TOKENIZER_URL) return undefined;
  const { TOKENIZER_CA_FILE: caFile, TOKENIZER_CERT_FILE: certFile, TOKENIZER_KEY_FILE: keyFile } = config;
  if (!caFile || !certFile || !keyFile) {
    throw new Error('TOKENIZER_CA_FILE, TOKENIZER_CERT_FILE and TOKENIZER_KEY_FILE are required with TOKENIZER_URL');
  }
  const tls = await loadTlsMaterial({ caFile, certFile, keyFile });
  return new TokenizerClient({ url: config.TOKENIZER_URL, tls });
}
