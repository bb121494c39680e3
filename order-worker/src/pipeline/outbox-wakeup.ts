import type pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';

/**
 * LISTENs for the NOTIFY that `writeOutbox` sends at commit, so new events leave within
 * milliseconds instead of waiting for the next poll. Best effort: the poll is the guarantee.
 *
 * PostgreSQL ends the LISTEN connection on a restart, a failover or a terminated backend, and
 * pg may report that loss more than once (an error message, then the socket's end): the
 * client is released exactly once whatever fires, and a new one LISTENs again after a
 * backoff, the poll carrying the work meanwhile. A throw from a second release would happen
 * inside an event emitter, where nothing catches it, and end the process.
 */
export class OutboxWakeup {
  private current: { release(): void } | undefined;
  private waiters = new Set<() => void>();
  private pending = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  /** LISTEN connections made, and lost, since start (for tests and the stop log line). */
  readonly stats = { listens: 0, losses: 0 };

  constructor(
    private readonly pool: pg.Pool | undefined,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly maxBackoffMs = 5_000,
  ) {}

  /** Resolves once the first LISTEN is in place, or has failed (the loop keeps trying). */
  async start(): Promise<void> {
    if (!this.pool || this.running) return;
    const pool = this.pool;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    this.running = this.listenLoop(pool, firstAttempt);
    await attempted;
  }

  private async listenLoop(pool: pg.Pool, firstAttempt: () => void): Promise<void> {
    const signal = this.abort.signal;
    for (let failures = 0; !signal.aborted; ) {
      try {
        const { lost } = await this.listen(pool);
        failures = 0;
        firstAttempt();
        // Whatever committed while nobody listened sent its NOTIFY to no one: poll now.
        this.fire();
        const reason = await Promise.race([lost, aborted(signal)]);
        if (signal.aborted) return;
        this.stats.losses++;
        this.log.warn({ err: reason }, 'outbox LISTEN connection lost, polling until it is back');
      } catch (err) {
        failures++;
        firstAttempt();
        if (signal.aborted) return;
        this.log.warn({ err, attempt: failures }, 'outbox LISTEN unavailable, polling until it is back');
      }
      await sleepUnlessAborted(backoffDelay(failures, 100, this.maxBackoffMs), signal);
    }
  }

  /** One LISTEN connection, and a promise that settles, with a reason, when it is lost. */
  private async listen(pool: pg.Pool): Promise<{ lost: Promise<Error> }> {
    const client = await pool.connect();
    let released = false;
    let signalLost!: (reason: Error) => void;
    const lost = new Promise<Error>((resolve) => (signalLost = resolve));
    const entry = {
      release: () => {
        if (released) return;
        released = true;
        if (this.current === entry) this.current = undefined;
        // Destroyed, never back in the pool: a broken client kept checked out would block
        // pool.end(), and a healthy one would carry this LISTEN and these listeners to its next user.
        client.release(true);
      },
    };
    // Stays attached for the client's whole life: every later 'error' finds a listener.
    client.on('error', (err) => {
      entry.release();
      signalLost(err);
    });
    client.on('end', () => {
      entry.release();
      signalLost(new Error('connection ended'));
    });
    client.on('notification', () => this.fire());
    this.current = entry;
    try {
      await client.query('LISTEN shop_outbox');
    } catch (err) {
      entry.release();
      throw err;
    }
    if (this.abort.signal.aborted) entry.release();
    else this.stats.listens++;
    return { lost };
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
    this.abort.abort();
    await this.running;
    // Closing the connection ends its LISTEN; it never goes back to the pool with our listeners.
    this.current?.release();
  }
}

function aborted(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('stopping');
    else signal.addEventListener('abort', () => resolve('stopping'), { once: true });
  });
}

/** The pg pool behind a drizzle database, when it was built on one (LISTEN needs its own client). */
export function poolOf(db: object): pg.Pool | undefined {
  const client = (db as { $client?: unknown }).$client;
  return typeof client === 'object' && client !== null && 'totalCount' in client ? (client as pg.Pool) : undefined;
}
