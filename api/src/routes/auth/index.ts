import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  EmailTakenError,
  InvalidCredentialsError,
  TokenizerUnavailableError,
  TooManyAttemptsError,
} from '../../errors.js';
import { usePii } from '../../pii/use-pii.js';
import type { SessionProfile } from '../../sessions/session-store.js';
import { mergeAnonymousCart } from '../cart/cart-service.js';
import { createAccount, emailIndexTaken, findAccountByEmailIndex } from './accounts.js';
import emailVerificationRoutes from './email-verification.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.js';
import passwordResetRoutes from './password-reset.js';
import { Account, CsrfToken, LoginBody, normaliseEmail, SignupBody } from './schemas.js';
import { rememberProfile } from './session-profile.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 429: ErrorBody, 503: ErrorBody };

/**
 * Signup, login, logout and the CSRF token: the public contract of ARCHITECTURE.md; email
 * verification and password reset are registered from their own files.
 *
 * Personal data goes to the vault-tokenizer, never into the shop database: signup stores the
 * email's blind index and the email and name tokens; login finds the account by the blind
 * index. Both need the tokenizer (the blind-index key lives there), so without it they answer
 * 503 `tokenizer_unavailable` and write nothing: there is no plaintext fallback.
 */
export default async function authRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const limits = app.rateLimits;
  // After the body is validated (the keys need the email). Per account and client: refuses a
  // client that keeps guessing at one account (PCI DSS 8.3.4) without locking the owner out
  // from elsewhere. Per account: past a ceiling every attempt waits, so many clients guessing
  // together are slowed, and the owner still gets in ([pentest 8.8], src/rate-limits.ts).
  const accountClientLimiter = app.createRateLimit(limits.loginAccountClient);
  const accountLimiter = app.createRateLimit(limits.loginAccount);
  await app.register(emailVerificationRoutes);
  await app.register(passwordResetRoutes);

  async function signIn(request: FastifyRequest, userId: string, profile: SessionProfile): Promise<void> {
    const { previousCartKey } = await request.startUserSession(userId);
    await rememberProfile(request, profile);
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

  app.post(
    '/api/auth/signup',
    {
      config: { rateLimit: limits.signup },
      schema: { body: SignupBody, response: { 201: Account, ...errors } },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      const { name } = request.body;
      // The id is ours before the row exists: it is the tokenizer's subject for this shopper.
      const id = randomUUID();
      const emailBlindIndex = await usePii(app.pii, request.log, (pii) => pii.blindIndex('email', email));
      // Checked before tokenizing so a taken address leaves no tokens behind (the insert's
      // unique index still decides a race).
      if (await emailIndexTaken(app.db, emailBlindIndex)) throw new EmailTakenError();
      const [emailToken, nameToken] = await usePii(app.pii, request.log, (pii) =>
        pii.tokenize(id, [
          { field: 'email', value: email },
          { field: 'name', value: name },
        ]),
      );
      if (!emailToken || !nameToken) throw new TokenizerUnavailableError();
      const passwordHash = await hashPassword(request.body.password);
      const created = await createAccount(app.db, { id, emailBlindIndex, emailToken, nameToken, passwordHash });
      if (!created) throw new EmailTakenError();
      await signIn(request, id, { email, name });
      request.log.info({ event: 'account_created', userId: id }, 'account created');
      return reply.code(201).send({ id, email, name, emailVerified: false });
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: { rateLimit: limits.login },
      schema: { body: LoginBody, response: { 200: Account, ...errors } },
      preHandler: async (request, reply) => {
        const pair = await accountClientLimiter(request);
        if (!pair.isAllowed && pair.isExceeded) {
          reply.header('retry-after', String(pair.ttlInSeconds));
          request.log.info({ event: 'login_locked_out' }, 'login refused: too many attempts from this client');
          throw new TooManyAttemptsError();
        }
        const account = await accountLimiter(request);
        if (!account.isAllowed && account.isExceeded) {
          request.log.warn({ event: 'login_slowed' }, 'login slowed: account-wide attempt ceiling reached');
          await sleep(limits.loginAccount.delayMs);
        }
      },
    },
    async (request) => {
      const email = normaliseEmail(request.body.email);
      // Every login asks the tokenizer for the index, known email or not, so the call itself
      // tells nothing; without the tokenizer no account can be found (503, not 401).
      const emailBlindIndex = await usePii(app.pii, request.log, (pii) => pii.blindIndex('email', email));
      const account = await findAccountByEmailIndex(app.db, emailBlindIndex);
      // Unknown email and wrong password: same status, same body, similar time (ASVS 2.2.x).
      const ok = account
        ? await verifyPassword(account.passwordHash, request.body.password)
        : await verifyAgainstDummy(request.body.password);
      if (!account || !ok) {
        request.log.info({ event: 'login_failed' }, 'login failed');
        throw new InvalidCredentialsError();
      }
      // The name is not known after a login: the api can never read it back from the tokenizer.
      await signIn(request, account.id, { email, name: null });
      request.log.info({ event: 'login_succeeded', userId: account.id }, 'login succeeded');
      return { id: account.id, email, name: null, emailVerified: account.emailVerified };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      const userId = request.userId;
      await request.endSession();
      if (userId) request.log.info({ event: 'logout', userId }, 'logged out');
      return reply.code(204).send(null);
    },
  );
}
