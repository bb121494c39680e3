import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@shop/shared/test-harness';
import { Redis } from 'ioredis';

/**
 * A redis-server of the test's own on a spare port, so a fault test can stop and restart it
 * without touching the shared Redis other test files use.
 */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    this.proc = proc;
    const failed = new Promise<never>((_, reject) =>
      proc.once('error', (err) =>
        reject(new Error(`cannot run redis-server (${err.message}): apt-get install redis-server`)),
      ),
    );
    await Promise.race([failed, this.waitUp()]);
  }

  private async waitUp(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await sleep(100);
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`private redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }
}
