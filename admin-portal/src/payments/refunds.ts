import type pg from 'pg';
import { recordAudit } from '../audit/audit-trail.js';
import type { RefundGateway } from './refund-gateway.js';

export type RefundOutcome = 'succeeded' | 'refused' | 'unknown';

/**
 * Carries out a recorded refund (issue 10, "nothing half-done"): the row is `processing` before
 * Stripe is called, with an idempotency key fixed at creation, so a retry can never refund twice;
 * the order's refunded amount changes only once Stripe confirmed. A refusal is recorded as
 * failed; no answer leaves it processing (retried with the same key).
 */
export async function executeRefund(
  db: pg.Pool,
  gateway: RefundGateway,
  refundId: string,
  actor: { staffId: string; certificateSerial: string; sourceIp: string },
  /** A retry claims only a refund left processing: one awaiting approval stays waiting for it. */
  claimFrom: readonly ('awaiting_approval' | 'processing')[] = ['awaiting_approval', 'processing'],
): Promise<RefundOutcome | 'not_retryable'> {
  const claimed = await db.query<{
    order_id: string;
    amount_minor: number;
    idempotency_key: string;
    payment_intent_id: string | null;
  }>(
    `UPDATE admin.refunds r SET status = 'processing', updated_at = now()
     FROM public.orders o WHERE r.id = $1 AND o.id = r.order_id AND r.status = ANY($2::text[])
     RETURNING r.order_id, r.amount_minor, r.idempotency_key, o.payment_intent_id`,
    [refundId, claimFrom],
  );
  const refund = claimed.rows[0];
  if (!refund) return 'not_retryable';
  if (!refund.payment_intent_id) return 'refused';
  const result = await gateway.refund({
    paymentIntentId: refund.payment_intent_id,
    amountMinor: refund.amount_minor,
    idempotencyKey: refund.idempotency_key,
  });
  const audit = { ...actor, action: 'refund.executed', target: refund.order_id };
  if (result.outcome === 'unknown') {
    await recordAudit(db, {
      ...audit,
      outcome: 'failed',
      detail: { refundId, amountMinor: refund.amount_minor, stripe: 'no_answer' },
    });
    return 'unknown';
  }
  if (result.outcome === 'refused') {
    await db.query(`UPDATE admin.refunds SET status = 'failed', failure_code = $2, updated_at = now() WHERE id = $1`, [
      refundId,
      result.code,
    ]);
    await recordAudit(db, {
      ...audit,
      outcome: 'failed',
      detail: { refundId, amountMinor: refund.amount_minor, code: result.code },
    });
    return 'refused';
  }
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const done = await client.query(
      `UPDATE admin.refunds SET status = 'succeeded', stripe_refund_id = $2, updated_at = now()
       WHERE id = $1 AND status = 'processing'`,
      [refundId, result.refundId],
    );
    if (done.rowCount) {
      await client.query(
        `UPDATE public.orders SET refunded_minor = refunded_minor + $2,
           status = CASE WHEN refunded_minor + $2 >= total_minor THEN 'refunded'::order_status ELSE status END,
           updated_at = now()
         WHERE id = $1`,
        [refund.order_id, refund.amount_minor],
      );
    }
    await recordAudit(client, {
      ...audit,
      outcome: 'ok',
      detail: { refundId, amountMinor: refund.amount_minor, stripeRefund: result.refundId },
    });
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return 'succeeded';
}
