import type { FastifyError, FastifyRequest } from 'fastify';
import type { AuditEvent, AuditOperation } from '../../audit/audit-log.js';
import { KeysUnavailableError, SubjectErasedError } from '../../crypto/key-ring.js';
import {
  CallerUnknown,
  FieldDenied,
  IntegrityFailed,
  KeysUnavailable,
  OperationDenied,
  StorageUnavailable,
  SubjectErased,
  TokenErased,
  TokenExpired,
  TokenFieldMismatch,
  TokenNotFound,
} from '../../errors.js';
import { type FieldType, isFieldType } from '../../fields/field-types.js';
import type { Decision, Operation } from '../../policy/policy.js';
import { ItemError } from '../../tokens/token-service.js';

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
  if (err instanceof ItemError) {
    const { failure } = err;
    switch (failure.kind) {
      case 'not_found':
        return new TokenNotFound(failure.index);
      case 'field_mismatch':
        return new TokenFieldMismatch(failure.index);
      case 'erased':
        return new TokenErased(failure.index);
      case 'expired':
        return new TokenExpired(failure.index);
      case 'integrity':
        return new IntegrityFailed();
    }
  }
  if (err instanceof SubjectErasedError) return new SubjectErased();
  if (err instanceof KeysUnavailableError) return new KeysUnavailable();
  if ((err as FastifyError)?.statusCode && (err as FastifyError).code) return err as FastifyError;
  // Anything else here is storage (PostgreSQL unreachable, pool exhausted): 503, not a stack trace.
  return new StorageUnavailable();
}
