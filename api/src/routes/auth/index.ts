import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { EmailTakenError, InvalidCredentialsError, TooManyAttemptsError } from '../../errors.js';
import { accountRateLimitKey } from '../../plugins/rate-limit.js';
import { mergeAnonymousCart } from '../cart/cart-service.js';
import { createAccount, findAccountByEmail } from './accounts.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.js';
import { Account, CsrfToken, LoginBody, normaliseEmail, SignupBody } from './schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 429: ErrorBody, 503: ErrorBody };

/** Signup, login, logout and the CSRF token: the public contract of ARCHITECTURE.md. */
export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const limits = app.rateLimits;
  // Per account, after the body is validated: slows a distributed guess at one password.
  const accountLimiter = app.createRateLimit({
    max: limits.loginAccount.max,
    timeWindow: limits.loginAccount.timeWindow,
    skipOnError: false,
    keyGenerator: (request: FastifyRequest) => accountRateLimitKey((request.body as { email: string }).email),
  });

  async function signIn(request: FastifyRequest, userId: string): Promise<void> {
    const { previousCartKey } = await request.startUserSession(userId);
    if (previousCartKey) await mergeAnonymousCart(app.db, previousCartKey, userId);
  }

  app.get(
    '/api/csrf-token',
    { schema: { response: { 200: CsrfToken, 429: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      await request.ensureSession();
      const token = reply.generateCsrf();
      await request.saveSession();
      return { token };
    },
  );

  app.post<{ Body: Static<typeof SignupBody> }>(
    '/api/auth/signup',
    {
      config: { rateLimit: limits.signup },
      schema: { body: SignupBody, response: { 201: Account, ...errors } },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      const passwordHash = await hashPassword(request.body.password);
      const account = await createAccount(app.db, { email, name: request.body.name, passwordHash });
      if (!account) throw new EmailTakenError();
      await signIn(request, account.id);
      request.log.info({ event: 'account_created', userId: account.id }, 'account created');
      return reply.code(201).send({ id: account.id, email: account.email, name: account.name });
    },
  );

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      config: { rateLimit: limits.login },
      schema: { body: LoginBody, response: { 200: Account, ...errors } },
      preHandler: async (request, reply) => {
        const result = await accountLimiter(request);
        if (!result.isAllowed && result.isExceeded) {
          reply.header('retry-after', String(result.ttlInSeconds));
          throw new TooManyAttemptsError();
        }
      },
    },
    async (request) => {
      const account = await findAccountByEmail(app.db, normaliseEmail(request.body.email));
      // Unknown email and wrong password: same status, same body, similar time (ASVS 2.2.x).
      const ok = account
        ? await verifyPassword(account.passwordHash, request.body.password)
        : await verifyAgainstDummy(request.body.password);
      if (!account || !ok) {
        request.log.info({ event: 'login_failed' }, 'login failed');
        throw new InvalidCredentialsError();
      }
      await signIn(request, account.id);
      request.log.info({ event: 'login_succeeded', userId: account.id }, 'login succeeded');
      return { id: account.id, email: account.email, name: account.name };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      const userId = request.userId;
      await request.endSession();
      if (userId) request.log.info({ event: 'logout', userId }, 'logged out');
      return reply.code(204).send();
    },
  );
}
