import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchBundle, childExecArgv } from './bundles.js';

const SERVER = fileURLToPath(new URL('./products-server.ts', import.meta.url));

export interface AppProcess {
  url: string;
  /** CPU time (user + system, microseconds) the app process has used so far. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts one app of the comparison in a child process and waits until it listens. */
export async function startAppProcess(mode: 'hardened' | 'bare', env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = fork(benchBundle(SERVER), [mode], {
    execArgv: childExecArgv(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} app did not start within 30 s`)), 30_000);
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`${mode} app sent no port`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} app exited with code ${code} before listening`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    cpuMicros: () =>
      new Promise<number>((resolve, reject) => {
        const onMessage = (m: { cpuMicros?: number }) => {
          if (typeof m.cpuMicros !== 'number') return;
          child.off('message', onMessage);
          resolve(m.cpuMicros);
        };
        child.on('message', onMessage);
        if (!child.send('cpu')) reject(new Error(`${mode} app did not take the cpu request`));
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
