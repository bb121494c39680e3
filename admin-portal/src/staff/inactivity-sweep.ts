import type pg from 'pg';
import { recordAudit } from '../audit/audit-trail.js';

/**
 * PCI DSS v4.0.1 8.2.6: staff accounts unused for the configured days (at most 90) are disabled,
 * whether or not their holder ever comes back (the login route also refuses one at its next
 * attempt). "Used" is the last completed login, or creation for someone who never logged in.
 * Each account disabled is audited in the same transaction; an admin can enable it again.
 */
export async function disableInactiveStaff(db: pg.Pool, inactiveMs: number, now = Date.now()): Promise<string[]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ handle: string }>(
      `UPDATE admin.staff SET status = 'disabled', disabled_at = now(), disabled_reason = 'inactive_90_days'
       WHERE status = 'active' AND coalesce(last_login_at, created_at) < $1
       RETURNING handle`,
      [new Date(now - inactiveMs)],
    );
    for (const { handle } of rows) {
      await recordAudit(client, {
        action: 'staff.disabled_inactive',
        target: handle,
        outcome: 'ok',
        detail: { by: 'sweep', days: Math.round(inactiveMs / 86_400_000) },
      });
    }
    await client.query('COMMIT');
    return rows.map((r) => r.handle).sort();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Runs the sweep at start and then every `intervalMs` (the server: hourly). */
export function scheduleInactivitySweep(
  db: pg.Pool,
  inactiveMs: number,
  intervalMs: number,
  log: { error(o: object, m: string): void; info(o: object, m: string): void },
): () => void {
  const tick = () =>
    disableInactiveStaff(db, inactiveMs).then(
      (handles) =>
        handles.length > 0 &&
        log.info(
          { event: 'admin.staff_disabled_inactive', disabledAccounts: handles.length },
          'inactive staff accounts disabled',
        ),
      (err) => log.error({ err }, 'inactivity sweep failed'),
    );
  void tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
