import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@shop/shared/test-harness';
import pg from 'pg';

/** The newest Debian PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin). */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error(`no PostgreSQL server binaries under ${root}: apt-get install postgresql`);
  }
  return join(root, majors[0] as string, 'bin');
}

/** PostgreSQL refuses to run as root: then the cluster belongs to, and runs as, the postgres user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root needs a postgres system user');
  return { uid, gid };
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary folder, a spare loopback
 * port, trust authentication on loopback only), so a fault test can stop the whole server and
 * start it again without touching the shared one other test files use.
 */
export class PrivatePostgres {
  private proc: ChildProcess | undefined;
  private readonly bin = serverBinaries();
  private readonly user = runAs();
  private readonly dir = mkdtempSync(join(tmpdir(), 'private-pg-'));
  port = 0;

  /** Superuser URL of the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** initdb (the first time), then the server; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    if (!existsSync(this.dataDir)) {
      if (this.user) chownSync(this.dir, this.user.uid, this.user.gid);
      const init = spawnSync(
        join(this.bin, 'initdb'),
        ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
        { encoding: 'utf8', ...this.user },
      );
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
    }
    const proc = spawn(
      join(this.bin, 'postgres'),
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=60',
        '-c',
        'shared_buffers=16MB',
      ],
      { stdio: 'ignore', ...this.user },
    );
    this.proc = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`cannot run postgres (${err.message})`)));
      proc.once('exit', (code) => reject(new Error(`private postgres exited with code ${code} at start`)));
    });
    exited.catch(() => {});
    await Promise.race([exited, this.waitUp()]);
  }

  private async waitUp(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const probe = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.query('select 1');
        return;
      } catch {
        await sleep(100);
      } finally {
        await probe.end().catch(() => {});
      }
    }
    throw new Error(`private postgres did not start on port ${this.port}`);
  }

  /**
   * Fast shutdown (SIGINT), as a restart or failover does it: every session is terminated
   * (57P01) and the port refuses connections until `start()`.
   */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGINT');
    });
  }

  /** Stops the server and deletes the cluster. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs `sql` as the superuser on a connection of its own. */
  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }
}
