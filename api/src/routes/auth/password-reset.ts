import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { consumeOneTimeToken, decoyTokenIssue, issueOneTimeToken } from '../../accounts/one-time-tokens.js';
import { users } from '../../db/schema/index.js';
import { AccountTokenInvalidError, TooManyAttemptsError } from '../../errors.js';
import { usePii } from '../../pii/use-pii.js';
import { writeMailRequest } from '../../pipeline/outbox.js';
import { activePasswordHash, findAccountByEmailIndex } from './accounts.js';
import { hashPassword } from './password.js';
import { normaliseEmail, PasswordResetBody, PasswordResetConfirmBody } from './schemas.js';

const errors = {
  400: ErrorBody,
  403: ErrorBody,
  410: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

/**
 * Password reset (issue: account lifecycle; ASVS 2.5.x, PCI DSS v4.0.1 8.3.x).
 *
 * `POST /api/auth/password-reset` answers 202 with no body for every well-formed email, known
 * or not (no enumeration), doing comparable work for both; a known, active account gets a
 * single-use token valid 30 minutes, mailed by the order-worker. Limited per client and per
 * typed email (src/rate-limits.ts). `POST /api/auth/password-reset/confirm` spends the token,
 * sets the new password, ends every session of the account and requests a `password_changed`
 * mail.
 */
export default async function passwordResetRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const limits = app.rateLimits;
  // Needs the body (the key is a hash of the typed email), so it runs as a preHandler.
  const perEmail = app.createRateLimit(limits.passwordResetAccount);

  app.post(
    '/api/auth/password-reset',
    {
      config: { rateLimit: limits.passwordReset },
      schema: { body: PasswordResetBody, response: { 202: { type: 'null' }, ...errors } },
      preHandler: async (request, reply) => {
        const limit = await perEmail(request);
        if (!limit.isAllowed && limit.isExceeded) {
          reply.header('retry-after', String(limit.ttlInSeconds));
          throw new TooManyAttemptsError();
        }
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      const emailBlindIndex = await usePii(app.pii, request.log, (pii) => pii.blindIndex('email', email));
      const account = await findAccountByEmailIndex(app.db, emailBlindIndex);
      await app.db.transaction(async (tx) => {
        if (!account) return decoyTokenIssue(tx);
        const token = await issueOneTimeToken(tx, account.id, 'password_reset');
        await writeMailRequest(tx, { template: 'password_reset', userId: account.id, token });
      });
      // One line for both cases: the log does not tell them apart either.
      request.log.info({ event: 'password_reset_requested' }, 'password reset requested');
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/api/auth/password-reset/confirm',
    {
      config: { rateLimit: limits.accountToken },
      schema: { body: PasswordResetConfirmBody, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const userId = await app.db.transaction(async (tx) => {
        const owner = await consumeOneTimeToken(tx, request.body.token, 'password_reset');
        // A token outliving its account (deletion requested since) opens nothing.
        if ((await activePasswordHash(tx, owner)) === null) throw new AccountTokenInvalidError();
        // Hashed only for a token that holds: a forged one costs no argon2 work. The token's
        // row stays locked meanwhile, so the same link used twice at once waits, then fails.
        const passwordHash = await hashPassword(request.body.password);
        await tx
          .update(users)
          // The mailed link proves the mailbox as the verification link does.
          .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
          .where(eq(users.id, owner));
        await writeMailRequest(tx, { template: 'password_changed', userId: owner });
        return owner;
      });
      // Every session of the account ends, this one included when it is the account's own
      // (ASVS 3.3.3): whoever knew the old password is signed out everywhere.
      await app.endUserSessions(userId);
      if (request.userId === userId) await request.endSession();
      request.log.info({ event: 'password_reset', userId }, 'password reset through the mailed link');
      return reply.code(204).send(null);
    },
  );
}
