import type pg from 'pg';

export interface QuotaBucket {
  /** What is counted, e.g. `erase_subject:api` (never a value or a token). */
  name: string;
  /** Uses granted per hour. */
  limit: number;
}

/**
 * Hourly bounds kept in the tokenizer's database (`take_quota`, migration 0003), so every
 * replica counts against the same bound and a restart does not reset it. Sliding window:
 * a use counts for exactly one hour after it was granted.
 */
export class HourlyQuota {
  constructor(private readonly pool: pg.Pool) {}

  /** Takes one use of every bucket, or of none; answers the first bucket whose bound is reached. */
  async take(buckets: QuotaBucket[]): Promise<QuotaBucket | undefined> {
    const { rows } = await this.pool.query<{ exhausted: string | null }>({
      name: 'take_quota',
      text: "SELECT take_quota($1::text[], $2::int[], interval '1 hour') AS exhausted",
      values: [buckets.map((b) => b.name), buckets.map((b) => b.limit)],
    });
    const exhausted = rows[0]?.exhausted;
    return exhausted ? buckets.find((b) => b.name === exhausted) : undefined;
  }
}
