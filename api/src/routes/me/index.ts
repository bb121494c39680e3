import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import { UnauthenticatedError } from '../../errors.js';
import { emailVerified } from '../auth/accounts.js';
import { Account } from '../auth/schemas.js';
import { sessionProfile } from '../auth/session-profile.js';
import privacyRoutes from './privacy.js';

/**
 * GET /api/me: the signed-in shopper's id, and the email and name typed in this session
 * (kept in the server-side session, since the api can never read them back from the
 * tokenizer). The name is null when the session began with a login rather than a signup.
 */
export default async function meRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(privacyRoutes);
  app.get(
    '/api/me',
    {
      preHandler: app.requireUser,
      schema: { response: { 200: Account, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody } },
    },
    async (request) => {
      const userId = request.userId as string;
      const profile = sessionProfile(request);
      // A session outliving its account (deletion requested, erased) is no session; nor is one without the
      // profile (made before profiles were kept): signing in again fills it.
      const verified = profile ? await emailVerified(app.db, userId) : null;
      if (!profile || verified === null) {
        await request.endSession();
        throw new UnauthenticatedError();
      }
      return { id: userId, email: profile.email, name: profile.name, emailVerified: verified };
    },
  );
}
