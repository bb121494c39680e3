import type { FastifyRequest } from 'fastify';
import { BatchTooLarge, ValueTooLong } from '../../errors.js';
import { MAX_VALUE_LENGTH } from '../../fields/field-types.js';

export const MAX_BATCH = 1000;

/**
 * Gives the two size limits their own stable codes (`batch_too_large`, `value_too_long`);
 * every other schema violation stays `validation_failed`. Routes use attachValidation so
 * this runs before the handler; nothing reaches a handler unvalidated.
 */
export async function rejectInvalid(request: FastifyRequest): Promise<void> {
  const error = request.validationError;
  if (!error) return;
  const issues = (error as { validation?: { keyword: string; instancePath: string }[] }).validation ?? [];
  if (issues.some((i) => i.keyword === 'maxItems' && i.instancePath === '/items')) throw new BatchTooLarge(MAX_BATCH);
  const tooLong = issues.find((i) => i.keyword === 'maxLength' && /^\/items\/\d+\/value$/.test(i.instancePath));
  if (tooLong) throw new ValueTooLong(tooLong.instancePath.split('/')[2], MAX_VALUE_LENGTH);
  throw error;
}
