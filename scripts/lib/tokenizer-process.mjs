// Starts and stops the vault-tokenizer child of `npm start` (see scripts/run-tokenizer.mjs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** The tokenizer sees only its own variables, never the shop's database URL or Stripe keys. */
function tokenizerEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (['PATH', 'HOME', 'NODE_ENV', 'LOG_LEVEL', 'TZ', 'LANG'].includes(name)) env[name] = value;
    else if (name.startsWith('TOKENIZER_') || name.startsWith('VAULT_')) env[name] = value;
  }
  return { ...env, ...extra };
}

function getStatus(url, agent) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns the tokenizer and resolves once GET /readyz answers 200 to a client holding the api's
 * certificate (so the CA, both certificates, the database and the key provider all work).
 */
export async function startTokenizer({ root, port, env, clientTls }) {
  const child = spawn(process.execPath, [join(root, 'scripts', 'run-tokenizer.mjs')], {
    cwd: root,
    env: tokenizerEnv({ ...env, TOKENIZER_PORT: String(port) }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Its log lines (pino JSON, no values: see vault-tokenizer/test/logging) go on with ours.
  child.stdout.pipe(process.stdout);
  child.stderr.pipe(process.stderr);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A parent stopping on an uncaught error must not leave it behind.
  const killOnExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const agent = new https.Agent({
    ca: readFileSync(clientTls.ca),
    cert: readFileSync(clientTls.cert),
    key: readFileSync(clientTls.key),
    keepAlive: false,
  });
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = null;
  exited.then((how) => {
    gone = how;
  });
  try {
    for (;;) {
      if (gone) throw new Error(`the vault-tokenizer exited during start (code ${gone.code ?? gone.signal})`);
      const status = await getStatus(`${url}/readyz`, agent).catch(() => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`the vault-tokenizer was not ready within ${READY_TIMEOUT_MS} ms`);
      await sleep(250);
    }
  } catch (err) {
    killOnExit();
    throw err;
  } finally {
    agent.destroy();
  }

  return {
    url,
    pid: child.pid,
    /** SIGTERM (it finishes in-flight requests), SIGKILL if it has not exited in time. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      return exited;
    },
  };
}
