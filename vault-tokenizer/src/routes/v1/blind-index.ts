import type { FastifyInstance } from 'fastify';
import { CardNumberRefused, InvalidValue } from '../../errors.js';
import { checkValue } from '../../fields/field-types.js';
import { audited, authorize, refuse } from './access.js';
import { BlindIndexBody, errorResponses } from './schemas.js';
import { rejectInvalid } from './validation.js';

export async function blindIndexRoute(app: FastifyInstance) {
  app.post<{ Body: { field: string; value: string } }>(
    '/v1/blind-index',
    {
      attachValidation: true,
      preHandler: rejectInvalid,
      schema: {
        body: BlindIndexBody,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['field', 'index'],
            properties: { field: { type: 'string' }, index: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { field, value } = request.body;
      const ctx = { operation: 'blind_index' as const, fieldTypes: [field], count: 1 };
      const { fields } = await authorize(request, 'blind_index', [field], ctx);
      const type = fields[0] ?? 'email';
      const problem = checkValue(type, value);
      if (problem === 'card_number') await refuse(request, ctx, new CardNumberRefused(0), 'refused');
      if (problem) await refuse(request, ctx, new InvalidValue(0, field), 'refused');
      const index = await audited(request, ctx, () => request.server.tokenizer.tokens.blindIndex(type, value));
      return { field, index };
    },
  );
}
