import type pg from 'pg';

/**
 * What the portal audits (issue 10, item 8; PCI DSS v4.0.1 10.2.1.x, 10.2.2): who (staff id and
 * certificate serial), what (action and target), when (set by the database trigger), from where
 * (source address) and the outcome. `detail` holds codes, amounts and reasons, never a revealed value.
 */
export interface AuditEntry {
  staffId?: string | undefined;
  certificateSerial?: string | undefined;
  action: string;
  target?: string | undefined;
  outcome: 'ok' | 'denied' | 'failed';
  sourceIp?: string | undefined;
  detail?: Record<string, string | number | boolean | null> | undefined;
}

export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
}

/** Something that can run a query: a pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Appends one entry; the caller goes on only once the database has it (fail closed). */
export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  try {
    await db.query(
      `INSERT INTO admin.audit_events (staff_id, certificate_serial, action, target, outcome, source_ip, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        entry.staffId ?? null,
        entry.certificateSerial ?? null,
        entry.action,
        entry.target ?? null,
        entry.outcome,
        entry.sourceIp ?? null,
        JSON.stringify(entry.detail ?? {}),
      ],
    );
  } catch (err) {
    throw new AuditUnavailableError(`audit write failed (${(err as { code?: string }).code ?? 'no code'})`);
  }
}
