import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accountDeletions, accountTokens, carts, users } from '../../db/schema/index.js';
import { ReauthenticationFailedError, TooManyAttemptsError, UnauthenticatedError } from '../../errors.js';
import { writeMailRequest } from '../../pipeline/outbox.js';
import { activePasswordHash } from '../auth/accounts.js';
import { verifyPassword } from '../auth/password.js';
import { PasswordConfirmationBody } from './schemas.js';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

/**
 * "Download my data" and "delete my account" (issue: account lifecycle). Both ask for the
 * password again (ASVS 3.7.1: a stolen or unattended session cannot do either), limited per
 * account like the login lockout (`reauth`, src/rate-limits.ts).
 *
 * The export is assembled and mailed by the order-worker (`data_export`), which may read the
 * shopper's values from the tokenizer; the api can only ask. Deletion ends every session at
 * once, refuses login from then on, requests the final `account_deleted` mail, and leaves the
 * erasure (tokenizer subject, blind index, tokens, password hash, order links) to the erasure
 * step of src/accounts/account-erasure.ts once that mail is recorded.
 */
export default async function privacyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // One limiter for both routes: five wrong passwords lock out export and deletion alike.
  const reauthLimiter = app.createRateLimit(app.rateLimits.reauth);
  const route = {
    preHandler: [
      app.requireUser,
      async (request: FastifyRequest, reply: FastifyReply) => {
        const limit = await reauthLimiter(request);
        if (!limit.isAllowed && limit.isExceeded) {
          reply.header('retry-after', String(limit.ttlInSeconds));
          throw new TooManyAttemptsError();
        }
      },
    ],
    schema: { body: PasswordConfirmationBody, response: { 202: { type: 'null' as const }, ...errors } },
  };

  async function reauthenticated(request: FastifyRequest, password: string): Promise<string> {
    const userId = request.userId as string;
    const hash = await activePasswordHash(app.db, userId);
    if (hash === null) {
      await request.endSession();
      throw new UnauthenticatedError();
    }
    if (!(await verifyPassword(hash, password))) {
      request.log.info({ event: 'password_reentry_failed', userId }, 'password re-entry failed');
      throw new ReauthenticationFailedError();
    }
    return userId;
  }

  app.post('/api/me/export', route, async (request, reply) => {
    const userId = await reauthenticated(request, request.body.password);
    const requestId = await app.db.transaction((tx) => writeMailRequest(tx, { template: 'data_export', userId }));
    request.log.info({ event: 'data_export_requested', userId, messageId: requestId }, 'data export requested');
    return reply.code(202).send(null);
  });

  app.post('/api/me/delete', route, async (request, reply) => {
    const userId = await reauthenticated(request, request.body.password);
    const requestId = await app.db.transaction(async (tx) => {
      const [marked] = await tx
        .update(users)
        .set({ deletionRequestedAt: sql`now()` })
        .where(and(eq(users.id, userId), isNull(users.deletionRequestedAt)))
        .returning({ id: users.id });
      // A concurrent deletion of the same account already did the rest.
      if (!marked) return null;
      // Mailed before the erase (the worker needs the address the erase destroys).
      const mailRequestId = await writeMailRequest(tx, { template: 'account_deleted', userId });
      await tx.insert(accountDeletions).values({ userId, mailRequestId });
      // No link mailed earlier (verification, reset) works from now on; the cart goes too.
      await tx.delete(accountTokens).where(eq(accountTokens.userId, userId));
      await tx.delete(carts).where(eq(carts.userId, userId));
      return mailRequestId;
    });
    // Sessions end at once, everywhere (this one included).
    await app.endUserSessions(userId);
    await request.endSession();
    request.log.info(
      { event: 'account_deletion_requested', userId, ...(requestId ? { messageId: requestId } : {}) },
      'account deletion requested',
    );
    return reply.code(202).send(null);
  });
}
