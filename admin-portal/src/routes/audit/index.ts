import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { html, layout } from '../../views/html.js';

export const AuditQuery = Type.Object(
  {
    action: Type.Optional(Type.String({ pattern: '^[a-z_.]{0,60}$' })),
    staff: Type.Optional(Type.String({ pattern: '^([a-z][a-z0-9-]{1,62})?$' })),
    target: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
type AuditQuery = Static<typeof AuditQuery>;

/** The audit trail viewer (admin); viewing it is itself audited (PCI DSS 10.2.1.3). */
export async function auditRoutes(app: FastifyInstance) {
  const db = app.adminDb;
  app.get('/audit', { config: { access: ['admin'] }, schema: { querystring: AuditQuery } }, async (request, reply) => {
    const q = request.query as AuditQuery;
    await app.sessions.audit(request, {
      action: 'audit.viewed',
      outcome: 'ok',
      detail: { action: q.action || null, staff: q.staff || null },
    });
    const { rows } = await db.query<{
      seq: string;
      occurred_at: Date;
      handle: string | null;
      certificate_serial: string | null;
      action: string;
      target: string | null;
      outcome: string;
      source_ip: string | null;
      detail: unknown;
    }>(
      `SELECT e.seq, e.occurred_at, s.handle, e.certificate_serial, e.action, e.target, e.outcome, e.source_ip, e.detail
       FROM admin.audit_events e LEFT JOIN admin.staff s ON s.id = e.staff_id
       WHERE ($1::text IS NULL OR e.action = $1) AND ($2::text IS NULL OR s.handle = $2) AND ($3::text IS NULL OR e.target = $3)
       ORDER BY e.seq DESC LIMIT 200`,
      [q.action || null, q.staff || null, q.target || null],
    );
    return reply.type('text/html; charset=utf-8').send(
      layout(
        {
          title: 'Audit trail',
          staff: request.staff && { handle: request.staff.handle, csrfToken: app.sessions.csrfToken(request) },
        },
        html`<form method="get" action="/audit"><label>Action <input name="action" value="${q.action ?? ''}"></label>
<label>Staff <input name="staff" value="${q.staff ?? ''}"></label><label>Target <input name="target" value="${q.target ?? ''}"></label><button type="submit">Filter</button></form>
<table id="audit"><tr><th>#</th><th>When</th><th>Who</th><th>Certificate</th><th>Action</th><th>Target</th><th>Outcome</th><th>From</th><th>Detail</th></tr>
${rows.map(
  (r) =>
    html`<tr><td>${r.seq}</td><td>${r.occurred_at.toISOString()}</td><td>${r.handle ?? ''}</td><td>${r.certificate_serial ?? ''}</td><td>${r.action}</td><td>${r.target ?? ''}</td><td>${r.outcome}</td><td>${r.source_ip ?? ''}</td><td>${JSON.stringify(r.detail)}</td></tr>`,
)}
</table>`,
      ),
    );
  });
}
