import pg from 'pg';

export interface CommitRate {
  perSecond: number;
  commits: number;
  seconds: number;
}

/**
 * The floor of any pipeline on this PostgreSQL: commits/s of a one-row UPDATE transaction
 * (BEGIN; UPDATE one row; COMMIT), through the same `pg` client the services use, at the
 * pipeline's concurrency, each connection on a row of its own (commit cost, not lock waits).
 * Each order costs about three such commits (webhook, relay, consumer) plus a Stripe call.
 */
export async function oneRowUpdateCommits(
  url: string,
  opts: { concurrency: number; seconds: number },
): Promise<CommitRate> {
  const pool = new pg.Pool({ connectionString: url, max: opts.concurrency });
  pool.on('error', () => {});
  try {
    await pool.query('create table if not exists bench_commit_rate (id int primary key, n bigint not null)');
    await pool.query(
      'insert into bench_commit_rate select g, 0 from generate_series(1, $1) g on conflict (id) do nothing',
      [opts.concurrency],
    );
    let commits = 0;
    const started = performance.now();
    const until = started + opts.seconds * 1000;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, i) => {
        const client = await pool.connect();
        try {
          while (performance.now() < until) {
            await client.query('begin');
            await client.query('update bench_commit_rate set n = n + 1 where id = $1', [i + 1]);
            await client.query('commit');
            commits++;
          }
        } finally {
          client.release();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: commits / seconds, commits, seconds };
  } finally {
    await pool.end();
  }
}
