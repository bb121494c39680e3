import type { TestContext } from 'node:test';
// The real vault-tokenizer (its own app, database, key file and mTLS listener), started the
// way its own tests start it. Test code only: the api's src never imports the tokenizer.
import { discardLog } from '@shop/shared/test-harness';
import { startTokenizer, type TokenizerHarness } from '../../../vault-tokenizer/test/helper.js';

export interface RealTokenizer {
  harness: TokenizerHarness;
  /** TOKENIZER_* for the api: its URL and the api's certificate from the tokenizer's test CA. */
  env: Record<string, string>;
}

/** Starts a real tokenizer for one test and stops it (dropping its database) afterwards. */
export async function startRealTokenizer(t: Pick<TestContext, 'after'>): Promise<RealTokenizer> {
  // Its audit lines are its own tests' business: kept out of this suite's output.
  const harness = await startTokenizer({ logStream: discardLog() });
  t.after(() => harness.close());
  return {
    harness,
    env: {
      TOKENIZER_URL: `https://127.0.0.1:${harness.port}`,
      TOKENIZER_CA_FILE: harness.ca.caFile,
      TOKENIZER_CERT_FILE: harness.ca.certFile('api'),
      TOKENIZER_KEY_FILE: harness.ca.keyFile('api'),
    },
  };
}
