import pg from 'pg';
import { loadTokenizerConfig } from '../config.js';
import { migrate } from '../db/database.js';
import { createKeyProvider } from '../keys/index.js';
import { rotateKeys } from '../rotation/key-rotation.js';

/**
 * npm run rotate-keys -w vault-tokenizer [-- [--new-kek] [--raise-min-decryption-version]]
 * Same environment as the service. Safe to run while the tokenizer serves, and to re-run
 * after an interruption (it resumes).
 */
async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--raise-min-decryption-version');
  if (unknown.length > 0)
    throw new Error(`unknown option ${unknown[0]}; usage: rotate-keys [--raise-min-decryption-version]`);
  const config = loadTokenizerConfig();
  await migrate(config.TOKENIZER_DATABASE_URL, config.TOKENIZER_DB_RUNTIME_ROLE);
  const owner = new pg.Pool({ connectionString: config.TOKENIZER_DATABASE_URL, max: 2 });
  // A lost connection fails the rotation's current query (it resumes when run again), never the process silently.
  owner.on('error', () => {});
  owner.on('connect', (client) => {
    client.on('error', () => {});
  });
  const provider = createKeyProvider(config, { log: (m) => console.warn(m) });
  try {
    const result = await rotateKeys(owner, provider, {
      raiseMinDecryptionVersion: argv.includes('--raise-min-decryption-version'),
      newKek: argv.includes('--new-kek'),
      progress: (m) => console.log(m),
    });
    console.log(JSON.stringify(result));
  } finally {
    await provider.close();
    await owner.end();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Catalogue errors keep the operator's detail (which provider call, which key) in `cause`.
  const { message, cause } = err as Error;
  console.error(`rotate-keys failed: ${message}${cause instanceof Error ? ` (${cause.message})` : ''}`);
  process.exit(1);
});
