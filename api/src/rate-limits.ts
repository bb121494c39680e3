import { createHash } from 'node:crypto';
import { normalizeIP, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from './config.js';

/**
 * Every rate-limit bucket of the api, in one table (ASVS 2.2.1, PCI DSS v4.0.1 8.3.4). Routes
 * read their bucket from here (`app.rateLimits.<name>`); nothing else sets a limit.
 *
 * - key `client`: the client address, as @fastify/rate-limit normalises it (an IPv6 client
 *   counts per /64), taken from X-Forwarded-For only when the peer is a TRUSTED_PROXIES gateway.
 * - key `account+client`: a hash of the normalised email and the client address together.
 * - key `account`: a hash of the normalised email alone. Neither hash holds the email.
 *   The password-reset bucket hashes under its own label, so it shares no counter with login
 *   and counts the same for a registered and an unknown email (no enumeration).
 * - key `user`: the signed-in user's id (checked after the session is read: `hook: preHandler`).
 * - `whenStoreDown`: `closed` refuses with 503 `rate_limit_unavailable` while Redis is down, so
 *   a brute-force window never opens with an outage; `open` lets requests through, so browsing
 *   and Stripe's deliveries survive one.
 * - `pastLimit`: `refuse` answers 429 `rate_limited`; `delay` answers as usual after a wait.
 *
 * | bucket             | route                      | max (env, default)                       | window | key            | past limit | store down |
 * | ------------------ | -------------------------- | ---------------------------------------- | ------ | -------------- | ---------- | ---------- |
 * | global             | every route without its own| RATE_LIMIT_GLOBAL_MAX 300                | 1 min  | client         | refuse     | open       |
 * | notFound           | the 404 handler            | RATE_LIMIT_NOT_FOUND_MAX 60              | 1 min  | client         | refuse     | open       |
 * | login              | POST /api/auth/login       | RATE_LIMIT_LOGIN_MAX 5                   | 1 min  | client         | refuse     | closed     |
 * | loginAccountClient | POST /api/auth/login       | RATE_LIMIT_LOGIN_ACCOUNT_MAX 10          | 30 min*| account+client | refuse     | closed     |
 * | loginAccount       | POST /api/auth/login       | RATE_LIMIT_LOGIN_ACCOUNT_CEILING 100     | 30 min | account        | delay      | closed     |
 * | signup             | POST /api/auth/signup      | RATE_LIMIT_SIGNUP_MAX 5                  | 1 min  | client         | refuse     | closed     |
 * | checkout           | POST /api/checkout         | RATE_LIMIT_CHECKOUT_MAX 10               | 1 min  | client         | refuse     | closed     |
 * | verificationEmail  | POST /api/auth/verification-email | RATE_LIMIT_VERIFICATION_EMAIL_MAX 3 | 1 h    | user           | refuse     | closed     |
 * | passwordReset      | POST /api/auth/password-reset | RATE_LIMIT_PASSWORD_RESET_MAX 5       | 15 min | client         | refuse     | closed     |
 * | passwordResetAccount | POST /api/auth/password-reset | RATE_LIMIT_PASSWORD_RESET_ACCOUNT_MAX 3 | 1 h | account        | refuse     | closed     |
 * | accountToken       | POST /api/auth/verify-email, /password-reset/confirm | RATE_LIMIT_ACCOUNT_TOKEN_MAX 10 | 1 min | client | refuse | closed |
 * | reauth             | POST /api/me/export + /api/me/delete (one counter) | RATE_LIMIT_REAUTH_MAX 5 | 30 min | user | refuse | closed |
 * | webhook            | POST /api/webhooks/stripe  | 1200                                     | 1 min  | client         | refuse     | open       |
 * | cspReports         | POST /api/csp-reports      | 30                                       | 1 min  | client         | refuse     | open       |
 *
 * (*) PCI DSS 8.3.4 (lock out after at most 10 invalid attempts, for at least 30 minutes)
 * holds per attacking client: every refused attempt restarts the 30 minutes
 * (`continueExceeding`), so a client that keeps guessing stays locked out. The lock does not
 * reach the account's owner on another client; the account-wide ceiling only slows every
 * client down (README, "Login limits"). Webhooks are authenticated by their signature and
 * Stripe retries what is refused, and CSP reports are only stored: both fail open.
 */
export interface Bucket extends RateLimitOptions {
  max: number;
  timeWindow: number;
  /** Mirrors `whenStoreDown`: false is fail-closed. */
  skipOnError: boolean;
  whenStoreDown: 'open' | 'closed';
  pastLimit: 'refuse' | 'delay';
}

export interface DelayBucket extends Bucket {
  pastLimit: 'delay';
  /** How long an attempt past the ceiling waits before its password is checked. */
  delayMs: number;
}

export interface RateLimits {
  global: Bucket;
  notFound: Bucket;
  login: Bucket;
  loginAccountClient: Bucket;
  loginAccount: DelayBucket;
  signup: Bucket;
  checkout: Bucket;
  webhook: Bucket;
  cspReports: Bucket;
  verificationEmail: Bucket;
  passwordReset: Bucket;
  passwordResetAccount: Bucket;
  accountToken: Bucket;
  reauth: Bucket;
}

/** Fixed by the routes' purpose rather than by deployment (the table above). */
export const WEBHOOK_EVENTS_PER_MINUTE = 1200;
export const CSP_REPORTS_PER_MINUTE = 30;

const MINUTE = 60_000;
/** PCI DSS v4.0.1 8.3.4: the lockout lasts at least 30 minutes. */
const LOCKOUT = 30 * MINUTE;

/** The same address normalisation as the library's default key (IPv6 per /64). */
function clientOf(request: FastifyRequest): string {
  return normalizeIP(request.ip);
}

function emailOf(request: FastifyRequest): string {
  return String((request.body as { email?: unknown } | undefined)?.email ?? '')
    .trim()
    .toLowerCase();
}

function digest(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url');
}

/** Password-reset requests per typed email (registered or not): a hash, never the email. */
export function resetAccountKey(request: FastifyRequest): string {
  return `reset-acct:${digest(['password-reset-account', emailOf(request)])}`;
}

/** The signed-in user (the session is read before `preHandler`); a client without one counts by address. */
export function userKey(request: FastifyRequest): string {
  return request.userId ? `user:${request.userId}` : `client:${clientOf(request)}`;
}

/** The per-account key: a hash of the normalised email, never the email itself. */
export function accountKey(request: FastifyRequest): string {
  return `acct:${digest(['login-account', emailOf(request)])}`;
}

/** The per-(account, client) key: one hash of both, so neither is readable in Redis. */
export function accountClientKey(request: FastifyRequest): string {
  return `acct-client:${digest(['login-account-client', emailOf(request), clientOf(request)])}`;
}

function bucket(max: number, timeWindow: number, whenStoreDown: 'open' | 'closed'): Bucket {
  return { max, timeWindow, whenStoreDown, skipOnError: whenStoreDown === 'open', pastLimit: 'refuse' };
}

export function rateLimitsFor(config: ApiConfig): RateLimits {
  return {
    global: bucket(config.RATE_LIMIT_GLOBAL_MAX, MINUTE, 'open'),
    notFound: bucket(config.RATE_LIMIT_NOT_FOUND_MAX, MINUTE, 'open'),
    login: bucket(config.RATE_LIMIT_LOGIN_MAX, MINUTE, 'closed'),
    loginAccountClient: {
      ...bucket(config.RATE_LIMIT_LOGIN_ACCOUNT_MAX, LOCKOUT, 'closed'),
      keyGenerator: accountClientKey,
      continueExceeding: true,
    },
    loginAccount: {
      ...bucket(config.RATE_LIMIT_LOGIN_ACCOUNT_CEILING, LOCKOUT, 'closed'),
      keyGenerator: accountKey,
      pastLimit: 'delay',
      delayMs: config.RATE_LIMIT_LOGIN_SLOWDOWN_MS,
    },
    signup: bucket(config.RATE_LIMIT_SIGNUP_MAX, MINUTE, 'closed'),
    checkout: bucket(config.RATE_LIMIT_CHECKOUT_MAX, MINUTE, 'closed'),
    webhook: bucket(WEBHOOK_EVENTS_PER_MINUTE, MINUTE, 'open'),
    cspReports: bucket(CSP_REPORTS_PER_MINUTE, MINUTE, 'open'),
    verificationEmail: {
      ...bucket(config.RATE_LIMIT_VERIFICATION_EMAIL_MAX, 60 * MINUTE, 'closed'),
      hook: 'preHandler',
      keyGenerator: userKey,
    },
    passwordReset: bucket(config.RATE_LIMIT_PASSWORD_RESET_MAX, 15 * MINUTE, 'closed'),
    passwordResetAccount: {
      ...bucket(config.RATE_LIMIT_PASSWORD_RESET_ACCOUNT_MAX, 60 * MINUTE, 'closed'),
      keyGenerator: resetAccountKey,
    },
    accountToken: bucket(config.RATE_LIMIT_ACCOUNT_TOKEN_MAX, MINUTE, 'closed'),
    // Like the login lockout (PCI DSS v4.0.1 8.3.4): a stolen session cannot guess the password
    // that export and deletion ask for again.
    // One counter for both routes (one limiter, routes/me/privacy.ts), checked after the session is read.
    reauth: { ...bucket(config.RATE_LIMIT_REAUTH_MAX, LOCKOUT, 'closed'), keyGenerator: userKey },
  };
}
