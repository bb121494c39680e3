import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { UnauthenticatedError } from '../../errors.js';
import { findAccountById } from '../auth/accounts.js';
import { Account } from '../auth/schemas.js';

export default async function meRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/me',
    {
      preHandler: app.requireUser,
      schema: { response: { 200: Account, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody } },
    },
    async (request) => {
      const account = await findAccountById(app.db, request.userId as string);
      // A session outliving its account (deleted user) is no session.
      if (!account) {
        await request.endSession();
        throw new UnauthenticatedError();
      }
      return account;
    },
  );
}
