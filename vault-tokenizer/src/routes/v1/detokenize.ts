import type { FastifyInstance } from 'fastify';
import { RevealLimitReached, RevealReasonRequired } from '../../errors.js';
import { audited, authorize, refuse, withinHourlyBounds } from './access.js';
import { DetokenizeBody, errorResponses, isRevealReason, STAFF_IDENTITY } from './schemas.js';
import { rejectInvalid } from './validation.js';

interface Body {
  items: { token: string; field: string }[];
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export async function detokenizeRoute(app: FastifyInstance) {
  app.post<{ Body: Body }>(
    '/v1/detokenize',
    {
      attachValidation: true,
      preHandler: rejectInvalid,
      schema: {
        body: DetokenizeBody,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['token', 'field', 'value', 'masked'],
                  properties: {
                    token: { type: 'string' },
                    field: { type: 'string' },
                    value: { type: 'string' },
                    masked: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { items } = request.body;
      const staffHeader = request.headers['x-staff-identity'];
      const reasonHeader = request.headers['x-reveal-reason'];
      const isReveal = staffHeader !== undefined || reasonHeader !== undefined;
      const staffIdentity = header(staffHeader);
      const reason = header(reasonHeader);
      const ctx = {
        operation: isReveal ? ('reveal' as const) : ('detokenize' as const),
        fieldTypes: items.map((i) => i.field),
        count: items.length,
        // Only well-formed values go to the audit row; a malformed header is recorded as absent.
        staffIdentity: staffIdentity && STAFF_IDENTITY.test(staffIdentity) ? staffIdentity : undefined,
        reason: reason && isRevealReason(reason) ? reason : undefined,
      };
      const { fields, decisions } = await authorize(request, isReveal ? 'reveal' : 'detokenize', ctx.fieldTypes, ctx);
      // A value in clear for a person needs a named person and a reason (PCI DSS v4.0.1 10.2.1.1, 7.2).
      if (isReveal && (!ctx.staffIdentity || !ctx.reason)) {
        await refuse(request, ctx, new RevealReasonRequired(), 'refused');
      }
      if (isReveal) {
        // The staff identity is asserted by the caller: bounded per identity, and per caller in
        // all, so neither one person nor a compromised portal can read customers out in bulk.
        const bounds = request.server.tokenizer.policy.revealBounds(request.caller);
        await withinHourlyBounds(
          request,
          ctx,
          [
            { name: `reveal:${request.caller}`, limit: bounds?.perHour ?? 0 },
            { name: `reveal:${request.caller}:${ctx.staffIdentity}`, limit: bounds?.perStaffIdentityPerHour ?? 0 },
          ],
          'tokenizer.reveal_limit_reached',
          new RevealLimitReached(),
        );
      }
      const masked = decisions.map((d) => d === 'masked');
      const values = await audited(request, ctx, () =>
        request.server.tokenizer.tokens.detokenize(
          items.map((item, i) => ({ token: item.token, field: fields[i] ?? 'name' })),
          masked,
        ),
      );
      return {
        items: items.map((item, i) => ({
          token: item.token,
          field: item.field,
          value: values[i] ?? '',
          masked: masked[i] ?? true,
        })),
      };
    },
  );
}
