import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { disableInactiveStaff } from '../../src/staff/inactivity-sweep.js';
import { createShopDatabase, type ShopDatabase } from '../support/database.js';

// PCI DSS v4.0.1 8.2.6: staff accounts unused for 90 days are disabled by a sweep, whether or
// not their holder comes back to try, each one audited; the sweep runs as the runtime role.

let db: ShopDatabase;
const DAY = 86_400_000;

before(async () => {
  db = await createShopDatabase();
  const add = (handle: string, lastLoginDaysAgo: number | null, createdDaysAgo: number) =>
    db.owner.query(
      `INSERT INTO admin.staff (handle, display_name, last_login_at, created_at)
       VALUES ($1, $1, CASE WHEN $2::int IS NULL THEN NULL ELSE now() - make_interval(days => $2::int) END,
               now() - make_interval(days => $3::int))`,
      [handle, lastLoginDaysAgo, createdDaysAgo],
    );
  await add('stale', 91, 400);
  await add('never-came', null, 120);
  await add('recent', 89, 400);
  await add('new-hire', null, 3);
});
after(async () => {
  await db?.close();
});

describe('inactivity sweep [C-043]', () => {
  it('disables accounts unused for 90 days (last login, or creation if never logged in) and audits each (PCI DSS 8.2.6)', async () => {
    assert.deepEqual(await disableInactiveStaff(db.runtime, 90 * DAY), ['never-came', 'stale']);
    const { rows } = await db.owner.query<{ handle: string; status: string; disabled_reason: string | null }>(
      'SELECT handle, status, disabled_reason FROM admin.staff ORDER BY handle',
    );
    assert.deepEqual(rows, [
      { handle: 'never-came', status: 'disabled', disabled_reason: 'inactive_90_days' },
      { handle: 'new-hire', status: 'active', disabled_reason: null },
      { handle: 'recent', status: 'active', disabled_reason: null },
      { handle: 'stale', status: 'disabled', disabled_reason: 'inactive_90_days' },
    ]);
    const audit = await db.owner.query<{ target: string; outcome: string }>(
      `SELECT target, outcome FROM admin.audit_events WHERE action = 'staff.disabled_inactive' ORDER BY target`,
    );
    assert.deepEqual(audit.rows, [
      { target: 'never-came', outcome: 'ok' },
      { target: 'stale', outcome: 'ok' },
    ]);
  });

  it('disables each account once: a second run finds nothing more', async () => {
    assert.deepEqual(await disableInactiveStaff(db.runtime, 90 * DAY), []);
    const { rows } = await db.owner.query(`SELECT 1 FROM admin.audit_events WHERE action = 'staff.disabled_inactive'`);
    assert.equal(rows.length, 2);
  });
});
