import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROLES } from '../../auth/access.js';
import { NotFound, RoleGrantInvalid } from '../../errors.js';
import { html, layout } from '../../views/html.js';
import { CsrfForm, type RoleForm, RoleForm as RoleFormSchema, StaffParams } from './schemas.js';

interface StaffRow {
  id: string;
  handle: string;
  display_name: string;
  status: string;
  roles: string[];
  last_login_at: Date | null;
  created_at: Date;
}

/** A cell that a spreadsheet would not run as a formula (CSV injection, ASVS 5.3.10). */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** Staff and roles (admin): a role grant waits for a second admin; removal takes effect at once. */
export async function staffRoutes(app: FastifyInstance, opts: { approvalTtlMs: number }) {
  const db = app.adminDb;
  const listStaff = async () =>
    (
      await db.query<StaffRow>(
        `SELECT s.id, s.handle, s.display_name, s.status, s.last_login_at, s.created_at,
                coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
         FROM admin.staff s LEFT JOIN admin.staff_roles r ON r.staff_id = s.id GROUP BY s.id ORDER BY s.handle`,
      )
    ).rows;
  const target = async (request: FastifyRequest) => {
    const { handle } = request.params as StaffParams;
    const { rows } = await db.query<{ id: string }>('SELECT id FROM admin.staff WHERE handle = $1', [handle]);
    if (!rows[0]) throw new NotFound();
    return { id: rows[0].id, handle };
  };

  app.get('/staff', { config: { access: ['admin'] } }, async (request, reply) => {
    const csrf = app.sessions.csrfToken(request);
    const staff = await listStaff();
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Staff and roles', staff: request.staff && { handle: request.staff.handle, csrfToken: csrf } },
        html`<p><a href="/access-review.csv">Access review (CSV)</a></p>
<table id="staff"><tr><th>Handle</th><th>Name</th><th>Status</th><th>Roles</th><th>Last login</th><th>Request a role</th></tr>
${staff.map(
  (
    s,
  ) => html`<tr><td>${s.handle}</td><td>${s.display_name}</td><td>${s.status}</td><td>${s.roles.join(', ')}</td><td>${s.last_login_at?.toISOString() ?? 'never'}</td>
<td><form method="post" action="/staff/${s.handle}/roles" class="inline"><input type="hidden" name="_csrf" value="${csrf}">
<select name="role">${ROLES.map((r) => html`<option>${r}</option>`)}</select><button type="submit">Ask</button></form></td></tr>`,
)}
</table>`,
      ),
    );
  });

  app.post(
    '/staff/:handle/roles',
    { config: { access: ['admin'] }, schema: { params: StaffParams, body: RoleFormSchema } },
    async (request, reply) => {
      const who = await target(request);
      const { role } = request.body as RoleForm;
      const held = await db.query('SELECT 1 FROM admin.staff_roles WHERE staff_id = $1 AND role = $2', [who.id, role]);
      if (held.rowCount) throw new RoleGrantInvalid();
      const approval = await db.query<{ id: string }>(
        `INSERT INTO admin.approvals (kind, payload, requested_by, expires_at) VALUES ('role_grant', $1, $2, $3) RETURNING id`,
        [
          JSON.stringify({ staffId: who.id, handle: who.handle, role }),
          request.staff?.id,
          new Date(Date.now() + opts.approvalTtlMs),
        ],
      );
      await app.sessions.audit(request, {
        action: 'staff.role_grant_requested',
        target: who.handle,
        outcome: 'ok',
        detail: { role, approval: approval.rows[0]?.id ?? null },
      });
      return reply.redirect('/staff', 303);
    },
  );

  app.post(
    '/staff/:handle/roles/remove',
    { config: { access: ['admin'] }, schema: { params: StaffParams, body: RoleFormSchema } },
    async (request, reply) => {
      const who = await target(request);
      const { role } = request.body as RoleForm;
      const { rowCount } = await db.query('DELETE FROM admin.staff_roles WHERE staff_id = $1 AND role = $2', [
        who.id,
        role,
      ]);
      await app.sessions.audit(request, {
        action: 'staff.role_removed',
        target: who.handle,
        outcome: rowCount ? 'ok' : 'denied',
        detail: { role },
      });
      return reply.redirect('/staff', 303);
    },
  );

  app.post(
    '/staff/:handle/enable',
    { config: { access: ['admin'] }, schema: { params: StaffParams, body: CsrfForm } },
    async (request, reply) => {
      const who = await target(request);
      // Enabling restarts the 90-day clock (PCI DSS 8.2.6), as a deliberate, audited decision.
      await db.query(
        `UPDATE admin.staff SET status = 'active', disabled_at = NULL, disabled_reason = NULL, last_login_at = now() WHERE id = $1`,
        [who.id],
      );
      await app.sessions.audit(request, { action: 'staff.enabled', target: who.handle, outcome: 'ok' });
      return reply.redirect('/staff', 303);
    },
  );

  // PCI DSS 7.2.4: every account, its roles and last use, for the periodic access review.
  app.get('/access-review.csv', { config: { access: ['admin'] } }, async (request, reply) => {
    const staff = await listStaff();
    await app.sessions.audit(request, {
      action: 'staff.access_review_exported',
      outcome: 'ok',
      detail: { accounts: staff.length },
    });
    const lines = [
      ['handle', 'name', 'status', 'roles', 'last_login', 'created'].map(csvCell).join(','),
      ...staff.map((s) =>
        [
          s.handle,
          s.display_name,
          s.status,
          s.roles.join(' '),
          s.last_login_at?.toISOString() ?? 'never',
          s.created_at.toISOString(),
        ]
          .map(csvCell)
          .join(','),
      ),
    ];
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="access-review.csv"')
      .send(`${lines.join('\r\n')}\r\n`);
  });
}
