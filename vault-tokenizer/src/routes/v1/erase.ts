import type { FastifyInstance } from 'fastify';
import { CallerUnknown, EraseLimitReached, OperationDenied, StorageUnavailable, TokenNotFound } from '../../errors.js';
import { FIELD_TYPES } from '../../fields/field-types.js';
import { audited, authorize, refuse, withinHourlyBounds } from './access.js';
import { errorResponses, SubjectId, Token } from './schemas.js';
import { rejectInvalid } from './validation.js';

export async function eraseRoutes(app: FastifyInstance) {
  app.delete<{ Params: { token: string } }>(
    '/v1/tokens/:token',
    {
      attachValidation: true,
      preHandler: rejectInvalid,
      schema: {
        params: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: Token } },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tokens, policy } = request.server.tokenizer;
      const ctx = { operation: 'delete_token' as const, fieldTypes: [] as string[], count: 1 };
      if (!policy.isKnownCaller(request.caller)) await refuse(request, ctx, new CallerUnknown());
      // A caller that may delete nothing learns nothing, not even whether the token exists.
      if (policy.fieldsAllowed(request.caller ?? '', 'delete').length === 0) {
        await refuse(request, ctx, new OperationDenied());
      }
      const field = await tokens.fieldOf(request.params.token).catch(() => {
        throw new StorageUnavailable();
      });
      if (!field) await refuse(request, ctx, new TokenNotFound(0), 'refused');
      ctx.fieldTypes = [field ?? ''];
      await authorize(request, 'delete', ctx.fieldTypes, ctx);
      await audited(request, ctx, () => tokens.deleteToken(request.params.token));
      return reply.code(204).send();
    },
  );

  // Crypto-shredding (GDPR art. 17; PCI DSS v4.0.1 3.2.1 retention): destroys the subject's
  // data key. A right of its own in the policy (`eraseSubject`), bounded per caller and per
  // hour: account deletion needs it, but a compromised caller must not shred every customer.
  app.delete<{ Params: { subjectId: string } }>(
    '/v1/subjects/:subjectId',
    {
      attachValidation: true,
      preHandler: rejectInvalid,
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['subjectId'],
          properties: { subjectId: SubjectId },
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { policy, tokens } = request.server.tokenizer;
      const ctx = { operation: 'erase_subject' as const, fieldTypes: [...FIELD_TYPES], count: 1 };
      if (!policy.isKnownCaller(request.caller)) await refuse(request, ctx, new CallerUnknown());
      const perHour = policy.eraseSubjectPerHour(request.caller);
      if (perHour === undefined) await refuse(request, ctx, new OperationDenied());
      await withinHourlyBounds(
        request,
        ctx,
        [{ name: `erase_subject:${request.caller}`, limit: perHour ?? 0 }],
        'tokenizer.erase_limit_reached',
        new EraseLimitReached(),
      );
      await audited(request, ctx, () => tokens.eraseSubject(request.params.subjectId));
      return reply.code(204).send();
    },
  );
}
