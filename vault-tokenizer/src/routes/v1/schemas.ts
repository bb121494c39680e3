import { ErrorBody } from '@shop/shared/errors';
import { hasControlCharacter, MAX_VALUE_LENGTH } from '../../fields/field-types.js';
import { TOKEN_PATTERN } from '../../tokens/token-service.js';
import { MAX_BATCH } from './validation.js';

/** Any field name is accepted by the schema so an unknown one reaches the policy and is denied (not merely malformed). */
export const Field = { type: 'string', pattern: '^[a-z][a-z_]{0,31}$' } as const;
export const Token = { type: 'string', pattern: TOKEN_PATTERN } as const;
export const SubjectId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
export const Value = { type: 'string', minLength: 1, maxLength: MAX_VALUE_LENGTH } as const;

export const TokenizeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['subjectId', 'items'],
  properties: {
    subjectId: SubjectId,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['field', 'value'],
        properties: { field: Field, value: Value },
      },
    },
    ttlSeconds: { type: 'integer', minimum: 60, maximum: 10 * 365 * 86_400 },
  },
} as const;

export const DetokenizeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['token', 'field'],
        properties: { token: Token, field: Field },
      },
    },
  },
} as const;

export const BlindIndexBody = {
  type: 'object',
  additionalProperties: false,
  required: ['field', 'value'],
  properties: { field: Field, value: Value },
} as const;

/** A reveal in clear (admin portal) names who is looking and why; checked in the handler so every refusal is audited. */
export const STAFF_IDENTITY = /^[A-Za-z0-9._@-]{1,128}$/;
export function isRevealReason(text: string): boolean {
  return text.trim().length >= 8 && text.length <= 500 && !hasControlCharacter(text);
}

export const errorResponses = {
  400: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  413: ErrorBody,
  503: ErrorBody,
} as const;
