// A service child of `npm start` (the tokenizer, the admin portal): spawned in its own process
// group with an IPC channel (it stops itself when the parent dies), ready once an HTTPS GET
// answers 200 to a client holding the given certificate, stopped with SIGTERM (SIGKILL late).
import { spawn } from 'node:child_process';
import https from 'node:https';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** The child sees only these variables of ours (plus `extra`), never the shop's secrets. */
export function childEnv(names, prefixes, extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (names.includes(name) || prefixes.some((p) => name.startsWith(p))) env[name] = value;
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
 * Spawns `node <script>` and resolves once `readyUrl` answers 200 over TLS with `tls`
 * ({ ca, cert, key } or { ca, pfx, passphrase }); throws (the child killed) if it exits first
 * or is not ready in time.
 */
export async function startChildService({ name, root, script, env, readyUrl, tls }) {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Its log lines (pino JSON) go on with ours.
  child.stdout.pipe(process.stdout);
  child.stderr.pipe(process.stderr);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A parent stopping on an uncaught error must not leave it behind.
  const killOnExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const agent = new https.Agent({ ...tls, keepAlive: false });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = null;
  exited.then((how) => {
    gone = how;
  });
  try {
    for (;;) {
      if (gone) throw new Error(`the ${name} exited during start (code ${gone.code ?? gone.signal})`);
      const status = await getStatus(readyUrl, agent).catch(() => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`the ${name} was not ready within ${READY_TIMEOUT_MS} ms`);
      await sleep(250);
    }
  } catch (err) {
    killOnExit();
    throw err;
  } finally {
    agent.destroy();
  }

  return {
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
