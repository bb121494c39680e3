import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, type Role } from '../../src/auth/access.js';
import { type PortalHarness, type StaffClient, startPortal } from '../helper.js';
import { seedOrder } from '../support/database.js';

// Issue 10, item 4 (PCI DSS v4.0.1 7.2.1, 7.2.2; ASVS 4.1.3): every route declares the roles it
// allows, default deny, enforced server-side. Each role is sent to every route it may not use.

let h: PortalHarness;
const clients = new Map<Role | 'none', StaffClient>();
let orderId: string;
const UUID = '00000000-0000-4000-8000-000000000000';

/** Every role-restricted route, with a request that would otherwise reach its handler. */
const TABLE: {
  method: 'GET' | 'POST';
  url: string;
  path: () => string;
  form?: Record<string, string>;
  roles: Role[];
}[] = [
  { method: 'GET', url: '/orders', path: () => '/orders', roles: ['support', 'fulfilment', 'finance'] },
  { method: 'GET', url: '/orders/:id', path: () => `/orders/${orderId}`, roles: ['support', 'fulfilment', 'finance'] },
  {
    method: 'POST',
    url: '/orders/:id/reveal',
    path: () => `/orders/${orderId}/reveal`,
    form: { field: 'email', reason: 'customer called about delivery' },
    roles: ['support'],
  },
  { method: 'POST', url: '/orders/:id/ship', path: () => `/orders/${orderId}/ship`, roles: ['fulfilment'] },
  {
    method: 'POST',
    url: '/orders/:id/refund',
    path: () => `/orders/${orderId}/refund`,
    form: { amount: '100', reason: 'damaged' },
    roles: ['finance'],
  },
  {
    method: 'POST',
    url: '/orders/:id/refunds/:refundId/retry',
    path: () => `/orders/${orderId}/refunds/${UUID}/retry`,
    roles: ['finance'],
  },
  { method: 'GET', url: '/payment-reviews', path: () => '/payment-reviews', roles: ['support', 'finance'] },
  { method: 'GET', url: '/approvals', path: () => '/approvals', roles: ['finance', 'admin'] },
  {
    method: 'POST',
    url: '/approvals/:id/approve',
    path: () => `/approvals/${UUID}/approve`,
    roles: ['finance', 'admin'],
  },
  { method: 'POST', url: '/approvals/:id/deny', path: () => `/approvals/${UUID}/deny`, roles: ['finance', 'admin'] },
  { method: 'GET', url: '/staff', path: () => '/staff', roles: ['admin'] },
  {
    method: 'POST',
    url: '/staff/:handle/roles',
    path: () => '/staff/ada/roles',
    form: { role: 'finance' },
    roles: ['admin'],
  },
  {
    method: 'POST',
    url: '/staff/:handle/roles/remove',
    path: () => '/staff/ada/roles/remove',
    form: { role: 'finance' },
    roles: ['admin'],
  },
  { method: 'POST', url: '/staff/:handle/enable', path: () => '/staff/ada/enable', roles: ['admin'] },
  { method: 'GET', url: '/access-review.csv', path: () => '/access-review.csv', roles: ['admin'] },
  { method: 'GET', url: '/audit', path: () => '/audit', roles: ['admin'] },
];

before(async () => {
  h = await startPortal();
  orderId = (await seedOrder(h.db.owner, { status: 'ready_to_ship' })).orderId;
  for (const role of [...ROLES, 'none'] as const) {
    const client = await h.addStaff(`only-${role}`, role === 'none' ? [] : [role]);
    assert.equal((await client.enrol()).status, 303);
    clients.set(role, client);
  }
});
after(async () => {
  await h?.close();
});

describe('default deny [C-045]', () => {
  it('every registered route declares its access (a route without one is refused)', () => {
    const undeclared = h.app.declaredRoutes.filter((r) => r.access === undefined);
    assert.deepEqual(undeclared, []);
    assert.ok(h.app.declaredRoutes.length >= TABLE.length);
  });

  it('every role-restricted route is in this test, with the same roles', () => {
    const restricted = h.app.declaredRoutes.filter((r) => Array.isArray(r.access));
    for (const r of restricted) {
      const row = TABLE.find((t) => t.method === r.method && t.url === r.url);
      assert.ok(row, `${r.method} ${r.url} has no wrong-side test`);
      assert.deepEqual([...(r.access as Role[])].sort(), [...row.roles].sort(), `${r.method} ${r.url}`);
    }
    assert.equal(restricted.length, TABLE.length);
  });

  it('the admin role cannot refund or reveal (issue 10, item 4)', () => {
    for (const url of ['/orders/:id/refund', '/orders/:id/reveal']) {
      assert.ok(!TABLE.find((t) => t.url === url)?.roles.includes('admin'));
    }
  });
});

for (const row of TABLE) {
  describe(`${row.method} ${row.url}`, () => {
    for (const role of [...ROLES, 'none'] as const) {
      if (role !== 'none' && row.roles.includes(role)) continue;
      it(`refuses a staff member with ${role === 'none' ? 'no role' : `only ${role}`} (403 admin_role_required)`, async () => {
        const client = clients.get(role) as StaffClient;
        await client.get('/');
        const res = row.method === 'GET' ? await client.get(row.path()) : await client.post(row.path(), row.form ?? {});
        assert.equal(res.status, 403, res.body.slice(0, 300));
        assert.match(res.body, /id="error-code">admin_role_required</);
      });
    }
  });
}

describe('audit of refusals', () => {
  it('records each role refusal with who and which route', async () => {
    const { rows } = await h.db.owner.query(
      `SELECT count(*)::int AS n FROM admin.audit_events WHERE action = 'access.role_denied' AND outcome = 'denied'`,
    );
    assert.ok(rows[0].n >= 1);
  });
});
