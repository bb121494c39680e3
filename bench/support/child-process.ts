import { type ChildProcess, fork } from 'node:child_process';
import { benchBundle, childExecArgv } from './bundles.js';
import type { CpuProfile, Profilable } from './cpu-profile.js';

export interface Child {
  process: ChildProcess;
  /** The first message the child sent (its readiness report). */
  ready: Record<string, unknown>;
  /** Sends `request` and resolves with the next message that has `key` (rejects if the child exits first). */
  ask<T>(request: string, key: string): Promise<T>;
  /** Its CPU profiler, for a profiled phase (bench/support/cpu-profile.ts), named `what`. */
  profiler: Profilable;
  /** SIGTERM (SIGKILL after 15 s) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Forks a bench server (the bundle of a bench/support .ts file, under plain node as
 * production runs its bundles) and waits for its first IPC message, which the server sends
 * once it is ready. stdout is dropped (the servers log there, at info, as in production);
 * stderr is shown.
 */
export async function forkChild(file: string, env: Record<string, string>, what: string): Promise<Child> {
  // BENCH_CPU_PROFILE_DIR: each child writes a V8 CPU profile there on exit (for finding where time goes).
  const child = fork(benchBundle(file), [], {
    execArgv: childExecArgv(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s`)), 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Record<string, unknown>);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code} before it was ready`));
    });
  });
  const ask = <T>(request: string, key: string) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`${what} exited with code ${code} before answering ${request}`));
      };
      const onMessage = (m: unknown) => {
        if (!m || typeof m !== 'object' || !(key in m)) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve((m as Record<string, T>)[key] as T);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (!child.send(request)) reject(new Error(`${what} did not take the ${request} request`));
    });
  return {
    process: child,
    ready,
    ask,
    profiler: {
      name: what,
      start: () => ask('profile-start', 'profiling'),
      stop: () => ask<CpuProfile>('profile-stop', 'profile'),
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
