import { createHash } from 'node:crypto';
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../config.js';
import { RateLimitUnavailableError } from '../errors.js';

/** Per-route limit, as `config: { rateLimit }` takes it. */
export interface RouteRateLimit {
  max: number;
  timeWindow: string | number;
  /** false: refuse with 503 `rate_limit_unavailable` when the counter store is down. */
  skipOnError: boolean;
}

export interface RateLimits {
  /** Per client address, on POST /api/auth/login. */
  login: RouteRateLimit;
  /** Per account (hash of the normalised email), on POST /api/auth/login. */
  loginAccount: RouteRateLimit;
  signup: RouteRateLimit;
  /** For POST /api/checkout: `config: { rateLimit: app.rateLimits.checkout }`. */
  checkout: RouteRateLimit;
  notFound: RouteRateLimit;
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: RateLimits;
  }
}

/**
 * Strict buckets fail closed: a brute-force window must not open because Redis is down
 * (ASVS 2.2.1). The global limit fails open so browsing survives a Redis outage (README).
 */
export function rateLimitsFor(config: ApiConfig): RateLimits {
  return {
    login: { max: config.RATE_LIMIT_LOGIN_MAX, timeWindow: '1 minute', skipOnError: false },
    loginAccount: { max: config.RATE_LIMIT_LOGIN_ACCOUNT_MAX, timeWindow: '15 minutes', skipOnError: false },
    signup: { max: config.RATE_LIMIT_SIGNUP_MAX, timeWindow: '1 minute', skipOnError: false },
    checkout: { max: config.RATE_LIMIT_CHECKOUT_MAX, timeWindow: '1 minute', skipOnError: false },
    notFound: { max: config.RATE_LIMIT_NOT_FOUND_MAX, timeWindow: '1 minute', skipOnError: true },
  };
}

/** The per-account key: a hash of the normalised email, never the email itself. */
export function accountRateLimitKey(email: string): string {
  return `acct:${createHash('sha256').update(`login-account:${email.trim().toLowerCase()}`).digest('base64url')}`;
}

// Same fixed-window algorithm as @fastify/rate-limit's own Redis store (INCR + PEXPIRE).
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  ttl = redis.call('PTTL', KEYS[1])
end
return {current, ttl}`;

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;
interface ScriptCommands {
  shopRateLimit?(key: string, ttl: number): Promise<[number, number]>;
}

/**
 * A Redis counter store whose failures are a declared 503 (stable code) rather than the
 * raw client error, so fail-closed routes answer `rate_limit_unavailable`, never a 500.
 */
function redisStoreClass(redis: Redis, prefix: string) {
  const client = redis as unknown as ScriptCommands;
  if (!client.shopRateLimit) redis.defineCommand('shopRateLimit', { numberOfKeys: 1, lua: INCR_SCRIPT });
  const incr = (key: string, ttl: number) =>
    (client.shopRateLimit as NonNullable<ScriptCommands['shopRateLimit']>).call(redis, key, ttl);
  return class RedisCounterStore {
    constructor(
      _options?: unknown,
      private readonly keyPrefix = `${prefix}rl:`,
    ) {}

    incr(key: string, cb: IncrCallback, timeWindow: number): void {
      Promise.resolve()
        .then(() => incr(this.keyPrefix + key, timeWindow))
        .then(
          (res) => cb(null, { current: Number(res[0]), ttl: Number(res[1]) }),
          () => cb(new RateLimitUnavailableError()),
        );
    }

    child(routeOptions: { routeInfo?: { method?: string | string[]; url?: string } }): RedisCounterStore {
      const info = routeOptions.routeInfo ?? {};
      const scope = info.url ? `${String(info.method)}${info.url}-` : 'custom-';
      return new RedisCounterStore(undefined, `${this.keyPrefix}${scope}`);
    }
  };
}

export interface RateLimitPluginOpts {
  config: ApiConfig;
  redis: Redis | null;
}

/**
 * Registered (and awaited) before any route so every route gets the global hook
 * (fastify-rate-limit#362). The key is `request.ip`, which honours X-Forwarded-For only
 * from TRUSTED_PROXIES (see app.ts `trustProxy`).
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: RateLimitPluginOpts) => {
    const options: RateLimitPluginOptions = {
      global: true,
      max: opts.config.RATE_LIMIT_GLOBAL_MAX,
      timeWindow: '1 minute',
      skipOnError: true,
      // Standard draft headers are enough; the error model builds the 429 body.
      errorResponseBuilder: (_req, context) => {
        const err = new Error('Too many requests, retry later') as Error & { statusCode: number; code: string };
        err.statusCode = context.statusCode;
        err.code = 'RATE_LIMITED';
        return err;
      },
    };
    if (opts.redis) options.store = redisStoreClass(opts.redis, opts.config.REDIS_KEY_PREFIX) as never;
    await app.register(rateLimit, options);
    app.decorate('rateLimits', rateLimitsFor(opts.config));
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['redis'] },
);
