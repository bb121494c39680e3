import type { FastifyInstance } from 'fastify';
import { CardNumberRefused, InvalidValue } from '../../errors.js';
import { checkValue } from '../../fields/field-types.js';
import { audited, authorize, refuse } from './access.js';
import { errorResponses, TokenizeBody } from './schemas.js';
import { rejectInvalid } from './validation.js';

interface Body {
  subjectId: string;
  items: { field: string; value: string }[];
  ttlSeconds?: number;
}

export async function tokenizeRoute(app: FastifyInstance) {
  app.post<{ Body: Body }>(
    '/v1/tokenize',
    {
      attachValidation: true,
      preHandler: rejectInvalid,
      schema: {
        body: TokenizeBody,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['tokens'],
            properties: { tokens: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { subjectId, items, ttlSeconds } = request.body;
      const ctx = { operation: 'tokenize' as const, fieldTypes: items.map((i) => i.field), count: items.length };
      const { fields } = await authorize(request, 'tokenize', ctx.fieldTypes, ctx);
      for (const [index, item] of items.entries()) {
        const problem = checkValue(fields[index] ?? 'name', item.value);
        if (problem === 'card_number') await refuse(request, ctx, new CardNumberRefused(index), 'refused');
        if (problem) await refuse(request, ctx, new InvalidValue(index, item.field), 'refused');
      }
      const expiresAt = ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000) : undefined;
      const tokens = await audited(request, ctx, () =>
        request.server.tokenizer.tokens.tokenize(
          subjectId,
          items.map((item, i) => ({ field: fields[i] ?? 'name', value: item.value })),
          expiresAt,
        ),
      );
      return { tokens };
    },
  );
}
