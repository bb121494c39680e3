import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { consumeOneTimeToken, issueOneTimeToken } from '../../accounts/one-time-tokens.js';
import { users } from '../../db/schema/index.js';
import { EmailAlreadyVerifiedError, UnauthenticatedError } from '../../errors.js';
import { writeMailRequest } from '../../pipeline/outbox.js';
import { emailVerified } from './accounts.js';
import { VerifyEmailBody } from './schemas.js';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

/**
 * Email verification (issue: account lifecycle; ASVS 2.5.x). Signup requests the mail with a
 * single-use token valid 24 h (routes/auth/accounts.ts); following the mailed link posts the
 * token here. No session is needed to verify (the link may be opened in another browser): the
 * token alone names the account, and only its hash is stored.
 */
export default async function emailVerificationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const limits = app.rateLimits;

  app.post(
    '/api/auth/verify-email',
    {
      config: { rateLimit: limits.accountToken },
      schema: { body: VerifyEmailBody, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const userId = await app.db.transaction(async (tx) => {
        const owner = await consumeOneTimeToken(tx, request.body.token, 'email_verification');
        await tx
          .update(users)
          .set({ emailVerifiedAt: sql`now()` })
          .where(and(eq(users.id, owner), isNull(users.emailVerifiedAt)));
        return owner;
      });
      request.log.info({ event: 'email_verified', userId }, 'email verified');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/auth/verification-email',
    {
      preHandler: app.requireUser,
      config: { rateLimit: limits.verificationEmail },
      schema: { response: { 202: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const userId = request.userId as string;
      const verified = await emailVerified(app.db, userId);
      if (verified === null) {
        await request.endSession();
        throw new UnauthenticatedError();
      }
      if (verified) throw new EmailAlreadyVerifiedError();
      // A new token replaces the earlier one: only the newest link works.
      await app.db.transaction(async (tx) => {
        const token = await issueOneTimeToken(tx, userId, 'email_verification');
        await writeMailRequest(tx, { template: 'email_verification', userId, token });
      });
      request.log.info({ event: 'verification_mail_requested', userId }, 'verification mail requested');
      return reply.code(202).send(null);
    },
  );
}
