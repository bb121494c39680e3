import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit-trail.js';
import type { Role } from '../../auth/access.js';
import {
  ApprovalDecided,
  ApprovalExpired,
  NotFound,
  PaymentsUnavailable,
  RefundRefused,
  RoleRequired,
  SelfApproval,
} from '../../errors.js';
import type { RefundGateway } from '../../payments/refund-gateway.js';
import { executeRefund } from '../../payments/refunds.js';
import { html, layout } from '../../views/html.js';
import { ApprovalParams, DecisionForm } from './schemas.js';

/** Who may decide each kind of request (issue 10, item 5). */
const APPROVER: Record<string, Role> = { refund: 'finance', role_grant: 'admin' };

interface ApprovalRow {
  id: string;
  kind: 'refund' | 'role_grant';
  payload: Record<string, string | number>;
  requested_by: string;
  requester: string;
  requested_at: Date;
  expires_at: Date;
  status: string;
}

/**
 * Two-person rule: a second staff member with the right role approves or denies; never the
 * requester, never after expiry, and a decided request is final (also enforced by a trigger).
 */
export async function approvalRoutes(app: FastifyInstance, opts: { refunds: RefundGateway }) {
  const db = app.adminDb;

  app.get('/approvals', { config: { access: ['finance', 'admin'] } }, async (request, reply) => {
    const kinds = Object.entries(APPROVER)
      .filter(([, role]) => request.staff?.roles.includes(role))
      .map(([kind]) => kind);
    const { rows } = await db.query<ApprovalRow>(
      `SELECT a.id, a.kind, a.payload, a.requested_by, s.handle AS requester, a.requested_at, a.expires_at, a.status
       FROM admin.approvals a JOIN admin.staff s ON s.id = a.requested_by
       WHERE a.kind = ANY($1) AND a.status = 'pending' AND a.expires_at > now() ORDER BY a.requested_at`,
      [kinds],
    );
    const csrf = app.sessions.csrfToken(request);
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Approvals', staff: request.staff && { handle: request.staff.handle, csrfToken: csrf } },
        html`<table id="approvals"><tr><th>Request</th><th>Asked by</th><th>Expires</th><th></th></tr>
${rows.map(
  (
    a,
  ) => html`<tr data-approval="${a.id}"><td>${a.kind}: ${JSON.stringify(a.payload)}</td><td>${a.requester}</td><td>${a.expires_at.toISOString()}</td>
<td><form method="post" action="/approvals/${a.id}/approve" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Approve</button></form>
<form method="post" action="/approvals/${a.id}/deny" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Deny</button></form></td></tr>`,
)}
</table>`,
      ),
    );
  });

  async function decide(request: FastifyRequest, decision: 'approved' | 'denied'): Promise<ApprovalRow> {
    const { id } = request.params as ApprovalParams;
    const staff = request.staff;
    const { rows } = await db.query<ApprovalRow>(
      `SELECT a.id, a.kind, a.payload, a.requested_by, s.handle AS requester, a.requested_at, a.expires_at, a.status
       FROM admin.approvals a JOIN admin.staff s ON s.id = a.requested_by WHERE a.id = $1`,
      [id],
    );
    const approval = rows[0];
    const audit = (outcome: 'ok' | 'denied', code: string) =>
      app.sessions.audit(request, {
        action: `approval.${decision === 'approved' ? 'approve' : 'deny'}`,
        target: id,
        outcome,
        detail: { code, kind: approval?.kind ?? null },
      });
    if (!approval) throw new NotFound();
    const role = APPROVER[approval.kind];
    if (!role || !staff?.roles.includes(role)) {
      await audit('denied', 'role_required');
      throw new RoleRequired();
    }
    if (approval.requested_by === staff.id) {
      await audit('denied', 'self_approval');
      throw new SelfApproval();
    }
    if (approval.status !== 'pending') {
      await audit('denied', 'already_decided');
      throw new ApprovalDecided();
    }
    if (approval.expires_at.getTime() <= Date.now()) {
      await audit('denied', 'expired');
      throw new ApprovalExpired();
    }
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const updated = await client.query(
        `UPDATE admin.approvals SET status = $2, decided_by = $3, decided_at = now()
         WHERE id = $1 AND status = 'pending' AND expires_at > now() AND requested_by <> $3`,
        [id, decision, staff.id],
      );
      if (!updated.rowCount) throw new ApprovalDecided();
      if (approval.kind === 'role_grant' && decision === 'approved') {
        await client.query(
          `INSERT INTO admin.staff_roles (staff_id, role, approval_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [approval.payload.staffId, approval.payload.role, id],
        );
      }
      if (approval.kind === 'refund' && decision === 'denied') {
        await client.query(
          `UPDATE admin.refunds SET status = 'denied', updated_at = now() WHERE id = $1 AND status = 'awaiting_approval'`,
          [approval.payload.refundId],
        );
      }
      await recordAudit(client, {
        staffId: staff.id,
        certificateSerial: staff.certificateSerial,
        sourceIp: request.ip,
        action: `approval.${decision === 'approved' ? 'approve' : 'deny'}`,
        target: id,
        outcome: 'ok',
        detail: { kind: approval.kind, requester: approval.requester },
      });
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return approval;
  }

  app.post(
    '/approvals/:id/approve',
    { config: { access: ['finance', 'admin'] }, schema: { params: ApprovalParams, body: DecisionForm } },
    async (request, reply) => {
      const approval = await decide(request, 'approved');
      if (approval.kind === 'refund') {
        const outcome = await executeRefund(db, opts.refunds, String(approval.payload.refundId), {
          staffId: request.staff?.id ?? '',
          certificateSerial: request.staff?.certificateSerial ?? '',
          sourceIp: request.ip,
        });
        if (outcome === 'unknown') throw new PaymentsUnavailable();
        if (outcome === 'refused') throw new RefundRefused();
      }
      return reply.redirect('/approvals', 303);
    },
  );

  app.post(
    '/approvals/:id/deny',
    { config: { access: ['finance', 'admin'] }, schema: { params: ApprovalParams, body: DecisionForm } },
    async (request, reply) => {
      await decide(request, 'denied');
      return reply.redirect('/approvals', 303);
    },
  );
}
