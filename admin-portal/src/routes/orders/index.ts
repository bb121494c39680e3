import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  NotFound,
  OrderNotShippable,
  PaymentsUnavailable,
  ReasonRequired,
  RefundInvalid,
  RefundNotRetryable,
  RefundRefused,
  RevealRefused,
  TokenizerUnavailable,
} from '../../errors.js';
import type { RefundGateway } from '../../payments/refund-gateway.js';
import { executeRefund } from '../../payments/refunds.js';
import { isHeaderSafeReason, type TokenizerClient, TokenizerRefusedError } from '../../tokenizer/tokenizer-client.js';
import { html, layout } from '../../views/html.js';
import {
  CsrfForm,
  OrderParams,
  OrderSearchQuery,
  REVEALABLE,
  RefundForm,
  RefundParams,
  type RevealForm,
  RevealForm as RevealFormSchema,
} from './schemas.js';

export interface OrderRouteOptions {
  tokenizer: TokenizerClient;
  refunds: RefundGateway;
  /** Refunds above this amount (minor units) wait for a second finance member's approval. */
  refundApprovalThresholdMinor: number;
  approvalTtlMs: number;
}

interface OrderRow {
  id: string;
  status: string;
  currency: string;
  total_minor: number;
  refunded_minor: number;
  created_at: Date;
  email_token: string | null;
  name_token: string | null;
  shipping_address_token: string | null;
}

const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;

/** Orders: search, detail with masked customer data, reveal with a reason, mark shipped, refund. */
export async function orderRoutes(app: FastifyInstance, opts: OrderRouteOptions) {
  const db = app.adminDb;
  const page = (request: FastifyRequest, title: string, body: ReturnType<typeof html>) =>
    layout(
      { title, staff: request.staff && { handle: request.staff.handle, csrfToken: app.sessions.csrfToken(request) } },
      body,
    );
  const actor = (request: FastifyRequest) => ({
    staffId: request.staff?.id ?? '',
    certificateSerial: request.staff?.certificateSerial ?? '',
    sourceIp: request.ip,
  });

  async function loadOrder(request: FastifyRequest, id: string): Promise<OrderRow> {
    // Fulfilment sees only orders ready to ship (issue 10, item 4).
    const onlyShippable = !request.staff?.roles.some((r) => r === 'support' || r === 'finance');
    const { rows } = await db.query<OrderRow>(
      `SELECT o.id, o.status, o.currency, o.total_minor, o.refunded_minor, o.created_at,
              u.email_token, u.name_token, o.shipping_address_token
       FROM orders o JOIN users u ON u.id = o.user_id
       WHERE o.id = $1 AND ($2::boolean IS FALSE OR o.status = 'ready_to_ship')`,
      [id, onlyShippable],
    );
    const order = rows[0];
    if (!order) throw new NotFound();
    return order;
  }

  app.get(
    '/orders',
    { config: { access: ['support', 'fulfilment', 'finance'] }, schema: { querystring: OrderSearchQuery } },
    async (request, reply) => {
      const q = request.query as OrderSearchQuery;
      const onlyShippable = !request.staff?.roles.some((r) => r === 'support' || r === 'finance');
      let emailIndex: string | null = null;
      if (q.email) {
        if (!request.staff?.roles.includes('support')) throw new RevealRefused();
        try {
          emailIndex = await opts.tokenizer.blindIndex('email', q.email.trim().toLowerCase());
        } catch (err) {
          if (err instanceof TokenizerRefusedError) throw new RevealRefused();
          throw new TokenizerUnavailable();
        }
      }
      const { rows } = await db.query<{
        id: string;
        status: string;
        total_minor: number;
        currency: string;
        created_at: Date;
      }>(
        `SELECT o.id, o.status, o.total_minor, o.currency, o.created_at FROM orders o JOIN users u ON u.id = o.user_id
         WHERE ($1::uuid IS NULL OR o.id = $1) AND ($2::text IS NULL OR o.status::text = $2)
           AND ($3::date IS NULL OR o.created_at >= $3::date) AND ($4::date IS NULL OR o.created_at < $4::date + 1)
           AND ($5::text IS NULL OR u.email_blind_index = $5)
           AND ($6::boolean IS FALSE OR o.status = 'ready_to_ship')
         ORDER BY o.created_at DESC LIMIT 50`,
        [q.id || null, q.status || null, q.from || null, q.to || null, emailIndex, onlyShippable],
      );
      await app.sessions.audit(request, {
        action: 'order.searched',
        outcome: 'ok',
        detail: { results: rows.length, byEmail: emailIndex !== null, status: q.status || null },
      });
      return reply.type('text/html; charset=utf-8').send(
        page(
          request,
          'Orders',
          html`<form method="get" action="/orders">
<label>Order id <input name="id" value="${q.id ?? ''}"></label>
<label>Status <select name="status"><option value="">any</option>${[
            'paid',
            'ready_to_ship',
            'shipped',
            'refunded',
            'pending_payment',
            'payment_failed',
            'cancelled',
          ].map((s) => html`<option${s === q.status ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>From <input type="date" name="from" value="${q.from ?? ''}"></label>
<label>To <input type="date" name="to" value="${q.to ?? ''}"></label>
<label>Customer email <input type="email" name="email" value="${q.email ?? ''}"></label>
<button type="submit">Search</button>
</form>
<table id="orders"><tr><th>Order</th><th>Status</th><th>Total</th><th>Created</th></tr>
${rows.map((r) => html`<tr><td><a href="/orders/${r.id}">${r.id}</a></td><td>${r.status}</td><td>${money(r.total_minor, r.currency)}</td><td>${r.created_at.toISOString()}</td></tr>`)}
</table>`,
        ),
      );
    },
  );

  app.get(
    '/orders/:id',
    { config: { access: ['support', 'fulfilment', 'finance'] }, schema: { params: OrderParams } },
    async (request, reply) => {
      const order = await loadOrder(request, (request.params as OrderParams).id);
      const items = await db.query<{ name: string; quantity: number; unit_price_minor: number }>(
        'SELECT name, quantity, unit_price_minor FROM order_items WHERE order_id = $1 ORDER BY name',
        [order.id],
      );
      const tokens = [
        order.email_token && { token: order.email_token, field: 'email' },
        order.name_token && { token: order.name_token, field: 'name' },
        order.shipping_address_token && { token: order.shipping_address_token, field: 'shipping_address' },
      ].filter((t): t is { token: string; field: string } => Boolean(t));
      // Masked values only; the tokenizer down shows "unavailable", never a value.
      const masked = await opts.tokenizer.masked(tokens).catch(() => undefined);
      const shown = (token: string | null) => (token ? (masked?.get(token) ?? 'unavailable') : '—');
      const roles = request.staff?.roles ?? [];
      const csrf = app.sessions.csrfToken(request);
      const refunds = roles.includes('finance')
        ? (
            await db.query<{ id: string; amount_minor: number; status: string; created_at: Date }>(
              'SELECT id, amount_minor, status, created_at FROM admin.refunds WHERE order_id = $1 ORDER BY created_at',
              [order.id],
            )
          ).rows
        : [];
      await app.sessions.audit(request, { action: 'order.viewed', target: order.id, outcome: 'ok' });
      return reply.type('text/html; charset=utf-8').send(
        page(
          request,
          `Order ${order.id}`,
          html`<dl>
<dt>Status</dt><dd id="order-status">${order.status}</dd>
<dt>Total</dt><dd>${money(order.total_minor, order.currency)} (refunded <span id="order-refunded">${money(order.refunded_minor, order.currency)}</span>)</dd>
<dt>Customer email</dt><dd class="masked">${shown(order.email_token)}</dd>
<dt>Customer name</dt><dd class="masked">${shown(order.name_token)}</dd>
<dt>Shipping address</dt><dd class="masked">${shown(order.shipping_address_token)}</dd>
</dl>
<table><tr><th>Item</th><th>Quantity</th><th>Price</th></tr>${items.rows.map((i) => html`<tr><td>${i.name}</td><td>${i.quantity}</td><td>${money(i.unit_price_minor, order.currency)}</td></tr>`)}</table>
${
  roles.includes('support')
    ? html`<h2>Reveal one field</h2><form method="post" action="/orders/${order.id}/reveal" id="reveal-form">
<input type="hidden" name="_csrf" value="${csrf}">
<label>Field <select name="field">${REVEALABLE.map((f) => html`<option>${f}</option>`)}</select></label>
<label>Reason (recorded) <input name="reason" minlength="8" maxlength="500" required></label>
<button type="submit">Reveal</button></form>`
    : ''
}
${
  roles.includes('fulfilment') && order.status === 'ready_to_ship'
    ? html`<form method="post" action="/orders/${order.id}/ship"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Mark shipped</button></form>`
    : ''
}
${
  roles.includes('finance')
    ? html`<h2>Refund</h2><form method="post" action="/orders/${order.id}/refund" id="refund-form">
<input type="hidden" name="_csrf" value="${csrf}">
<label>Amount (minor units) <input name="amount" inputmode="numeric" pattern="[0-9]{1,9}" required></label>
<label>Reason <input name="reason" minlength="3" maxlength="500" required></label>
<button type="submit">Refund</button></form>
<table id="refunds"><tr><th>Refund</th><th>Amount</th><th>Status</th><th></th></tr>${refunds.map(
        (r) =>
          html`<tr data-refund="${r.id}"><td>${r.created_at.toISOString()}</td><td>${money(r.amount_minor, order.currency)}</td><td class="refund-status">${r.status}</td><td>${
            r.status === 'processing'
              ? html`<form method="post" action="/orders/${order.id}/refunds/${r.id}/retry" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Retry (same idempotency key)</button></form>`
              : ''
          }</td></tr>`,
      )}</table>`
    : ''
}`,
        ),
      );
    },
  );

  app.post(
    '/orders/:id/reveal',
    { config: { access: ['support'] }, schema: { params: OrderParams, body: RevealFormSchema } },
    async (request, reply) => {
      const order = await loadOrder(request, (request.params as OrderParams).id);
      const { field, reason } = request.body as RevealForm;
      const trimmed = reason.trim();
      const audit = { action: 'customer.reveal', target: order.id };
      // Reasons go to two audit trails and a header: no control characters (log injection), Latin-1 only.
      if (trimmed.length < 8 || !isHeaderSafeReason(reason)) {
        await app.sessions.audit(request, { ...audit, outcome: 'denied', detail: { field, code: 'reason_required' } });
        throw new ReasonRequired();
      }
      const token =
        field === 'email' ? order.email_token : field === 'name' ? order.name_token : order.shipping_address_token;
      if (!token) throw new NotFound();
      let value: string;
      try {
        value = await opts.tokenizer.reveal({ token, field }, request.staff?.handle ?? '', trimmed);
      } catch (err) {
        const refused = err instanceof TokenizerRefusedError;
        await app.sessions.audit(request, {
          ...audit,
          outcome: refused ? 'denied' : 'failed',
          detail: { field, reason: trimmed, code: refused ? err.code : 'tokenizer_unavailable' },
        });
        throw refused ? new RevealRefused() : new TokenizerUnavailable();
      }
      // Audited before the value is sent: no reveal without its trail (fail closed).
      await app.sessions.audit(request, { ...audit, outcome: 'ok', detail: { field, reason: trimmed } });
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            request,
            'Revealed',
            html`<p>${field} of order <a href="/orders/${order.id}">${order.id}</a>, revealed for: ${trimmed}</p><p id="revealed-value">${value}</p>`,
          ),
        );
    },
  );

  app.post(
    '/orders/:id/ship',
    { config: { access: ['fulfilment'] }, schema: { params: OrderParams, body: CsrfForm } },
    async (request, reply) => {
      const { id } = request.params as OrderParams;
      const { rowCount } = await db.query(
        `UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = $1 AND status = 'ready_to_ship'`,
        [id],
      );
      await app.sessions.audit(request, { action: 'order.shipped', target: id, outcome: rowCount ? 'ok' : 'denied' });
      if (!rowCount) throw new OrderNotShippable();
      return reply.redirect(`/orders/${id}`, 303);
    },
  );

  app.post(
    '/orders/:id/refund',
    { config: { access: ['finance'] }, schema: { params: OrderParams, body: RefundForm } },
    async (request, reply) => {
      const order = await loadOrder(request, (request.params as OrderParams).id);
      const { amount, reason } = request.body as { amount: string; reason: string };
      const amountMinor = Number(amount);
      const pending = await db.query<{ sum: string | null }>(
        `SELECT sum(amount_minor) AS sum FROM admin.refunds WHERE order_id = $1 AND status IN ('awaiting_approval', 'processing')`,
        [order.id],
      );
      const left = order.total_minor - order.refunded_minor - Number(pending.rows[0]?.sum ?? 0);
      if (!(amountMinor > 0) || amountMinor > left) {
        await app.sessions.audit(request, {
          action: 'refund.requested',
          target: order.id,
          outcome: 'denied',
          detail: { amountMinor },
        });
        throw new RefundInvalid();
      }
      const refundId = randomUUID();
      const needsApproval = amountMinor > opts.refundApprovalThresholdMinor;
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        let approvalId: string | null = null;
        if (needsApproval) {
          const approval = await client.query<{ id: string }>(
            `INSERT INTO admin.approvals (kind, payload, requested_by, expires_at) VALUES ('refund', $1, $2, $3) RETURNING id`,
            [
              JSON.stringify({ refundId, orderId: order.id, amountMinor, currency: order.currency }),
              request.staff?.id,
              new Date(Date.now() + opts.approvalTtlMs),
            ],
          );
          approvalId = approval.rows[0]?.id ?? null;
        }
        await client.query(
          `INSERT INTO admin.refunds (id, order_id, amount_minor, currency, reason, status, idempotency_key, requested_by, approval_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            refundId,
            order.id,
            amountMinor,
            order.currency,
            reason,
            needsApproval ? 'awaiting_approval' : 'processing',
            `admin-refund-${refundId}`,
            request.staff?.id,
            approvalId,
          ],
        );
        await app.sessions.audit(request, {
          action: 'refund.requested',
          target: order.id,
          outcome: 'ok',
          detail: { refundId, amountMinor, approval: needsApproval },
        });
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
      if (needsApproval) {
        return reply
          .type('text/html; charset=utf-8')
          .send(
            page(
              request,
              'Refund awaiting approval',
              html`<p id="refund-status">awaiting_approval</p><p>A second finance member must approve it in <a href="/approvals">Approvals</a>.</p>`,
            ),
          );
      }
      const outcome = await executeRefund(db, opts.refunds, refundId, actor(request));
      if (outcome === 'unknown') throw new PaymentsUnavailable();
      if (outcome === 'refused') throw new RefundRefused();
      return reply.redirect(`/orders/${order.id}`, 303);
    },
  );

  // A refund Stripe did not confirm (no answer, a timeout) stays processing with its idempotency
  // key; a retry sends the same key, so Stripe refunds at most once whatever happened before.
  app.post(
    '/orders/:id/refunds/:refundId/retry',
    { config: { access: ['finance'] }, schema: { params: RefundParams, body: CsrfForm } },
    async (request, reply) => {
      const { id, refundId } = request.params as RefundParams;
      const order = await loadOrder(request, id);
      const owned = await db.query('SELECT 1 FROM admin.refunds WHERE id = $1 AND order_id = $2', [refundId, order.id]);
      if (!owned.rowCount) throw new NotFound();
      const outcome = await executeRefund(db, opts.refunds, refundId, actor(request), ['processing']);
      if (outcome === 'not_retryable') {
        await app.sessions.audit(request, {
          action: 'refund.retried',
          target: order.id,
          outcome: 'denied',
          detail: { refundId, code: 'not_retryable' },
        });
        throw new RefundNotRetryable();
      }
      if (outcome === 'unknown') throw new PaymentsUnavailable();
      if (outcome === 'refused') throw new RefundRefused();
      return reply.redirect(`/orders/${order.id}`, 303);
    },
  );
}
