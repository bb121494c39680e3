import { MemoryKeyedStore, RedisKeyedStore } from '@shop/shared/session-stores';
import type { Redis } from 'ioredis';

export interface SessionData {
  staffId: string;
  /** The certificate the session was opened with: the cookie is useless on another connection's certificate. */
  certificateSerial: string;
  /** `second_factor`: the certificate is known, the second factor not yet given. */
  stage: 'second_factor' | 'active';
  createdAt: number;
  lastSeenAt: number;
  csrfSecret: string;
}

export class SessionsUnavailableError extends Error {
  override name = 'SessionsUnavailableError';
}

/** Keyed by a hash of the session id, so a store dump yields no usable cookie. */
export interface SessionStore {
  get(idHash: string): Promise<SessionData | undefined>;
  set(idHash: string, data: SessionData, ttlMs: number): Promise<void>;
  destroy(idHash: string): Promise<void>;
}

/** In-process store, used only when REDIS_URL is unset (shared with the api). */
export class MemorySessionStore extends MemoryKeyedStore<SessionData> implements SessionStore {}

/** Sessions in Redis under the portal's own prefix (never the shop's key space), shared with the api. */
export class RedisSessionStore extends RedisKeyedStore<SessionData> implements SessionStore {
  constructor(redis: Redis, prefix: string) {
    super(redis, prefix, () => new SessionsUnavailableError());
  }
}
