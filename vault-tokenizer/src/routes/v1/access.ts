import type { FastifyError, FastifyRequest } from 'fastify';
import type { AuditEvent, AuditOperation } from '../../audit/audit-log.js';
import { CallerUnknown, FieldDenied, isTokenizerError, OperationDenied, StorageUnavailable } from '../../errors.js';
import { type FieldType, isFieldType } from '../../fields/field-types.js';
import type { Decision, Operation } from '../../policy/policy.js';
import type { QuotaBucket } from '../../quotas/hourly-quota.js';

/** The name audit rows carry for a caller the policy does not know. */
export function auditCaller(request: FastifyRequest): string {
  return request.caller ?? 'unidentified';
}

interface Context {
  operation: AuditOperation;
  fieldTypes: string[];
  count: number;
  staffIdentity?: string | undefined;
  reason?: string | undefined;
}

/** Audits a refusal, then throws it. If the audit cannot be written the answer is 503 instead. */
export async function refuse(
  request: FastifyRequest,
  ctx: Context,
  error: FastifyError,
  outcome: AuditEvent['outcome'] = 'denied',
): Promise<never> {
  try {
    await request.server.tokenizer.audit.record({
      caller: auditCaller(request),
      outcome,
      detail: error.code.toLowerCase(),
      ...ctx,
    });
  } catch {
    throw new StorageUnavailable();
  }
  throw error;
}

/**
 * Decides an operation on every field of a request; any denial refuses the whole request
 * (audited). Unknown caller or field type: denied (default deny, PCI DSS v4.0.1 7.2.1).
 */
export async function authorize(
  request: FastifyRequest,
  operation: Operation,
  fields: string[],
  ctx: Context,
): Promise<{ fields: FieldType[]; decisions: Decision[] }> {
  const { policy } = request.server.tokenizer;
  if (!policy.isKnownCaller(request.caller)) await refuse(request, ctx, new CallerUnknown());
  const decisions = fields.map((f) => policy.decide(request.caller, f, operation));
  if (fields.some((f) => !isFieldType(f) || !policy.listsField(request.caller, f)))
    await refuse(request, ctx, new FieldDenied());
  if (decisions.includes('deny')) await refuse(request, ctx, new OperationDenied());
  return { fields: fields as FieldType[], decisions };
}

/**
 * Takes one use of each hourly bound (pentest finding 8.9) or refuses: the refusal is audited
 * (PCI DSS v4.0.1 10.2.1) and logged as a warning with a stable event name for alerting
 * (10.4.1, 10.7), so a caller hammering erase or reveal is seen, not only stopped.
 */
export async function withinHourlyBounds(
  request: FastifyRequest,
  ctx: Context,
  buckets: QuotaBucket[],
  event: 'tokenizer.erase_limit_reached' | 'tokenizer.reveal_limit_reached',
  error: FastifyError,
): Promise<void> {
  let exhausted: QuotaBucket | undefined;
  try {
    exhausted = await request.server.tokenizer.quota.take(buckets);
  } catch {
    // No count, no operation: a bound that cannot be checked is not lifted.
    await refuse(request, ctx, new StorageUnavailable(), 'failed');
  }
  if (!exhausted) return;
  request.log.warn(
    {
      event,
      caller: auditCaller(request),
      staffIdentity: ctx.staffIdentity,
      bound: exhausted.name,
      perHour: exhausted.limit,
    },
    'hourly bound reached; refused',
  );
  await refuse(request, ctx, error);
}

/** Runs the operation, audits its outcome, and maps internal failures to stable codes (never a fallback). */
export async function audited<T>(request: FastifyRequest, ctx: Context, run: () => Promise<T>): Promise<T> {
  let result!: T;
  try {
    result = await run();
  } catch (err) {
    const mapped = mapFailure(err);
    const outcome = mapped.statusCode && mapped.statusCode >= 500 ? 'failed' : 'refused';
    await refuse(request, ctx, mapped, outcome);
  }
  // Fail closed: no data leaves before its audit row is durable.
  try {
    await request.server.tokenizer.audit.record({ caller: auditCaller(request), outcome: 'ok', ...ctx });
  } catch {
    throw new StorageUnavailable();
  }
  return result;
}

function mapFailure(err: unknown): FastifyError {
  // The token service and the key ring throw this catalogue's errors (keys unavailable,
  // integrity, erased, not found...); anything else here is storage (PostgreSQL unreachable,
  // pool exhausted): 503, not a stack trace.
  return isTokenizerError(err) ? err : new StorageUnavailable();
}
