import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import { RedisSessionStore } from '../sessions/redis-session-store.js';
import { hashSessionId, isWellFormedSessionId, newSessionId } from '../sessions/session-id.js';
import type { SessionData, SessionStore } from '../sessions/session-store.js';

/** `__Host-`: the browser only accepts it Secure, Path=/ and without Domain (no subdomain can plant it). */
export const SESSION_COOKIE = '__Host-shop_sid';
/** ASVS 3.3.2 / PCI DSS v4.0.1 8.2.8: re-authenticate after 15-30 min idle; bounded lifetime. */
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** lastSeenAt is written back at most this often: idle expiry is exact to within a minute. */
const TOUCH_INTERVAL_MS = 60 * 1000;

const COOKIE_OPTIONS = { path: '/', httpOnly: true, secure: true, sameSite: 'lax' } as const;

/** The subset of @fastify/secure-session's API that @fastify/csrf-protection calls. */
export interface CsrfSessionView {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  options(opts: unknown): void;
}

interface SessionState {
  id: string | null;
  data: SessionData | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user of this session, or null. */
    userId: string | null;
    /** Creates an anonymous session (and its cookie) when there is none. */
    ensureSession(): Promise<{ cartKey: string }>;
    /** The anonymous cart key of the current session, if any (no session is created). */
    currentCartKey(): string | null;
    /** Login/signup: a new session id for the user (old one destroyed), returns the old cart key. */
    startUserSession(userId: string): Promise<{ previousCartKey: string | null }>;
    /** Logout: deletes the session server-side and expires the cookie. */
    endSession(): Promise<void>;
    /** Persists changes made through `session` (the CSRF secret). */
    saveSession(): Promise<void>;
    /** For @fastify/csrf-protection (its '@fastify/secure-session' mode). */
    session: CsrfSessionView;
    sessionState: SessionState;
  }
  interface FastifyInstance {
    /** Ends every session of a user, wherever it was opened (password reset, account deletion). */
    endUserSessions(userId: string): Promise<void>;
  }
}

export interface SessionPluginOptions {
  store?: SessionStore;
  redisPrefix: string;
  /** Injectable clock (epoch ms) so timeout tests do not wait. */
  now?: () => number;
}

function newData(now: number, userId: string | null): SessionData {
  return { cartKey: randomBytes(24).toString('base64url'), userId, createdAt: now, lastSeenAt: now };
}

export const sessionPlugin = fp(
  async (app: FastifyInstance, opts: SessionPluginOptions) => {
    const now = opts.now ?? Date.now;
    let store = opts.store;
    if (!store) {
      if (app.redis) store = new RedisSessionStore(app.redis, opts.redisPrefix);
      else {
        app.log.warn(
          'REDIS_URL is unset: sessions are kept in process memory (single process only, not for production)',
        );
        store = new MemorySessionStore(now);
      }
    }
    const sessions = store;
    await app.register(cookie, {});

    const remaining = (data: SessionData, at: number) =>
      Math.min(IDLE_TIMEOUT_MS, data.createdAt + ABSOLUTE_TIMEOUT_MS - at);

    async function save(state: SessionState): Promise<void> {
      if (!state.id || !state.data) return;
      await sessions.set(hashSessionId(state.id), state.data, remaining(state.data, now()));
    }

    async function create(reply: FastifyReply, userId: string | null): Promise<SessionState> {
      const state: SessionState = { id: newSessionId(), data: newData(now(), userId) };
      await save(state);
      reply.setCookie(SESSION_COOKIE, state.id as string, COOKIE_OPTIONS);
      return state;
    }

    // The reply of each request, so `request.ensureSession()` can set the cookie without
    // changing the signature others call.
    const replies = new WeakMap<FastifyRequest, FastifyReply>();
    const replyFor = (request: FastifyRequest) => replies.get(request) as FastifyReply;

    app.decorate('endUserSessions', (userId: string) => sessions.destroyUserSessions(userId));
    app.decorateRequest('userId', null);
    app.decorateRequest('sessionState', null as unknown as SessionState);
    app.decorateRequest('session', {
      getter(this: FastifyRequest): CsrfSessionView {
        const state = this.sessionState;
        return {
          get: (key) => (key === '_csrf' ? (state.data?.csrfSecret ?? undefined) : undefined),
          set: (key, value) => {
            if (key === '_csrf' && state.data) state.data.csrfSecret = value;
          },
          options: () => undefined,
        };
      },
    });

    app.decorateRequest('currentCartKey', function (this: FastifyRequest) {
      return this.sessionState.data?.cartKey ?? null;
    });
    app.decorateRequest('ensureSession', async function (this: FastifyRequest) {
      if (!this.sessionState.data) this.sessionState = await create(replyFor(this), null);
      return { cartKey: (this.sessionState.data as SessionData).cartKey };
    });
    app.decorateRequest('saveSession', async function (this: FastifyRequest) {
      await save(this.sessionState);
    });
    app.decorateRequest('startUserSession', async function (this: FastifyRequest, userId: string) {
      const previousCartKey = this.sessionState.data?.cartKey ?? null;
      // Rotation defeats session fixation (ASVS 3.2.1): a pre-login id never becomes authenticated.
      if (this.sessionState.id) await sessions.destroy(hashSessionId(this.sessionState.id));
      this.sessionState = await create(replyFor(this), userId);
      this.userId = userId;
      return { previousCartKey };
    });
    app.decorateRequest('endSession', async function (this: FastifyRequest) {
      if (this.sessionState.id) await sessions.destroy(hashSessionId(this.sessionState.id));
      this.sessionState = { id: null, data: null };
      this.userId = null;
      replyFor(this).clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
    });

    // preParsing: after the rate-limit hooks (onRequest), before the body is read.
    app.addHook('preParsing', async (request, reply) => {
      replies.set(request, reply);
      request.sessionState = { id: null, data: null };
      const id = request.cookies[SESSION_COOKIE];
      if (!id || !isWellFormedSessionId(id)) return;
      const idHash = hashSessionId(id);
      const data = await sessions.get(idHash);
      if (!data) return;
      const at = now();
      if (at - data.lastSeenAt >= IDLE_TIMEOUT_MS || at - data.createdAt >= ABSOLUTE_TIMEOUT_MS) {
        await sessions.destroy(idHash);
        return;
      }
      request.sessionState = { id, data };
      request.userId = data.userId;
      if (at - data.lastSeenAt >= TOUCH_INTERVAL_MS) {
        data.lastSeenAt = at;
        await save(request.sessionState);
      }
    });
  },
  { name: 'sessions', fastify: '5.x', dependencies: ['redis'] },
);
