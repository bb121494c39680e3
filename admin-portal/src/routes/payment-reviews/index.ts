import type { FastifyInstance } from 'fastify';
import { html, layout } from '../../views/html.js';

/**
 * Open payment reviews (the api records a payment it could not match: amount or currency
 * mismatch, unexpected Stripe data, an unknown order), read-only for support and finance.
 * The rows hold Stripe ids and reasons, no personal data.
 */
export async function paymentReviewRoutes(app: FastifyInstance) {
  const db = app.adminDb;
  app.get('/payment-reviews', { config: { access: ['support', 'finance'] } }, async (request, reply) => {
    const { rows } = await db.query<{
      id: string;
      created_at: Date;
      reason: string;
      order_id: string | null;
      event_id: string;
      payment_intent_id: string | null;
      detail: unknown;
    }>(
      `SELECT id, created_at, reason, order_id, event_id, payment_intent_id, detail
       FROM public.payment_reviews WHERE resolved_at IS NULL ORDER BY created_at LIMIT 200`,
    );
    await app.sessions.audit(request, {
      action: 'payment_review.listed',
      outcome: 'ok',
      detail: { results: rows.length },
    });
    return reply.type('text/html; charset=utf-8').send(
      layout(
        {
          title: 'Open payment reviews',
          staff: request.staff && { handle: request.staff.handle, csrfToken: app.sessions.csrfToken(request) },
        },
        html`<table id="payment-reviews"><tr><th>Since</th><th>Reason</th><th>Order</th><th>Stripe event</th><th>PaymentIntent</th><th>Detail</th></tr>
${rows.map(
  (r) =>
    html`<tr data-review="${r.id}"><td>${r.created_at.toISOString()}</td><td>${r.reason}</td><td>${r.order_id ? html`<a href="/orders/${r.order_id}">${r.order_id}</a>` : '—'}</td><td>${r.event_id}</td><td>${r.payment_intent_id ?? '—'}</td><td>${JSON.stringify(r.detail)}</td></tr>`,
)}
</table>`,
      ),
    );
  });
}
