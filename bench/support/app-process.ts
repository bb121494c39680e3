import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchBundle, childExecArgv } from './bundles.js';
import type { CpuProfile, Profilable } from './cpu-profile.js';

const SERVER = fileURLToPath(new URL('./products-server.ts', import.meta.url));

export interface AppProcess {
  url: string;
  /** CPU time (user + system, microseconds) the app process has used so far. */
  cpuMicros(): Promise<number>;
  /** Its CPU profiler, for a profiled phase (bench/support/cpu-profile.ts), named `<mode> app`. */
  profiler: Profilable;
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
  /** Sends `request` and resolves with the field `key` of the next message that has it. */
  const ask = <T>(request: string, key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (!m || typeof m !== 'object' || !(key in m)) return;
        child.off('message', onMessage);
        resolve((m as Record<string, T>)[key] as T);
      };
      child.on('message', onMessage);
      if (!child.send(request)) reject(new Error(`${mode} app did not take the ${request} request`));
    });
  return {
    url: `http://127.0.0.1:${port}`,
    cpuMicros: () => ask<number>('cpu', 'cpuMicros'),
    profiler: {
      name: `${mode} app`,
      start: () => ask('profile-start', 'profiling'),
      stop: () => ask<CpuProfile>('profile-stop', 'profile'),
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
