import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { cspReportCounts, cspReports } from '../../db/schema/csp-reports.js';
import type { Violation } from './violation.js';

/** Reports one client address may have stored per UTC day; the rest are counted only. */
export const CSP_REPORTS_STORED_PER_CLIENT_PER_DAY = 100;
/** The table keeps the newest reports up to this many; older ones are pruned. */
export const CSP_REPORTS_MAX_ROWS = 10_000;
/** Days the per-client counts are kept. */
const COUNT_DAYS = 7;

/**
 * Counts a request's reports against its client's daily quota and stores what fits, then
 * prunes the oldest rows past the cap: storage is bounded, and one client (a flood of fake
 * reports) fills at most its quota, leaving room for the reports of every other client.
 * Returns how many were stored.
 */
export async function storeReports(
  db: Database,
  client: string,
  received: number,
  violations: Violation[],
): Promise<number> {
  const stored = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(cspReportCounts)
      .values({ day: sql`current_date`, client, received, stored: 0 })
      .onConflictDoUpdate({
        target: [cspReportCounts.day, cspReportCounts.client],
        set: { received: sql`${cspReportCounts.received} + ${received}` },
      })
      .returning({ stored: cspReportCounts.stored });
    const room = Math.max(0, CSP_REPORTS_STORED_PER_CLIENT_PER_DAY - (row?.stored ?? 0));
    const kept = violations.slice(0, room);
    if (kept.length === 0) return 0;
    await tx.insert(cspReports).values(kept);
    await tx
      .update(cspReportCounts)
      .set({ stored: sql`${cspReportCounts.stored} + ${kept.length}` })
      .where(and(eq(cspReportCounts.day, sql`current_date`), eq(cspReportCounts.client, client)));
    return kept.length;
  });
  if (stored > 0) {
    await db.execute(sql`select prune_csp_reports(${CSP_REPORTS_MAX_ROWS})`);
    await db.delete(cspReportCounts).where(lt(cspReportCounts.day, sql`current_date - ${COUNT_DAYS}::int`));
  }
  return stored;
}
