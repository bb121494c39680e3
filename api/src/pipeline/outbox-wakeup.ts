import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * LISTENs for the NOTIFY that `writeOutbox` sends at commit, so new events leave within
 * milliseconds instead of waiting for the next poll. Best effort: the poll is the guarantee.
 */
export class OutboxWakeup {
  private client: pg.PoolClient | undefined;
  private waiters = new Set<() => void>();
  private pending = false;

  constructor(
    private readonly pool: pg.Pool | undefined,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  async start(): Promise<void> {
    if (!this.pool) return;
    try {
      const client = await this.pool.connect();
      this.client = client;
      client.on('notification', () => this.fire());
      client.on('error', () => {
        // A broken client goes back destroyed: kept checked out, it would block pool.end().
        if (this.client === client) this.client = undefined;
        client.release(true);
      });
      await client.query('LISTEN shop_outbox');
    } catch (err) {
      this.log.warn({ err }, 'outbox LISTEN unavailable, polling only');
    }
  }

  private fire(): void {
    this.pending = true;
    for (const w of this.waiters) w();
  }

  /** Waits for a notification, the poll interval, an abort or `also`, whichever comes first. */
  async wait(ms: number, signal: AbortSignal, also?: Promise<unknown>): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done);
      also?.then(done, done);
    });
    this.pending = false;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      await client.query('UNLISTEN shop_outbox');
      client.release();
    } catch {
      client.release(true);
    }
  }
}

/** The pg pool behind a drizzle database, when it was built on one (LISTEN needs its own client). */
export function poolOf(db: object): pg.Pool | undefined {
  const client = (db as { $client?: unknown }).$client;
  return typeof client === 'object' && client !== null && 'totalCount' in client ? (client as pg.Pool) : undefined;
}
