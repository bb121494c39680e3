// Starts and stops the vault-tokenizer child of `npm start` (see scripts/run-tokenizer.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, startChildService } from './child-service.mjs';

/**
 * Spawns the tokenizer and resolves once GET /readyz answers 200 to a client holding the api's
 * certificate (so the CA, both certificates, the database and the key provider all work). It
 * sees only its own variables, never the shop's database URL or Stripe keys.
 */
export async function startTokenizer({ root, port, env, clientTls }) {
  const url = `https://127.0.0.1:${port}`;
  const child = await startChildService({
    name: 'vault-tokenizer',
    root,
    script: join(root, 'scripts', 'run-tokenizer.mjs'),
    env: childEnv(['PATH', 'HOME', 'NODE_ENV', 'LOG_LEVEL', 'TZ', 'LANG'], ['TOKENIZER_', 'VAULT_'], {
      ...env,
      TOKENIZER_PORT: String(port),
    }),
    readyUrl: `${url}/readyz`,
    tls: {
      ca: readFileSync(clientTls.ca),
      cert: readFileSync(clientTls.cert),
      key: readFileSync(clientTls.key),
    },
  });
  return { url, pid: child.pid, stop: child.stop };
}
