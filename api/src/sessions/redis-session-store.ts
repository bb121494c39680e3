import { RedisKeyedStore } from '@shop/shared/session-stores';
import type { Redis } from 'ioredis';
import { SessionStoreUnavailableError } from '../errors.js';
import type { SessionData, SessionStore } from './session-store.js';

/**
 * Sessions in Redis, shared by every api replica (the store shared with the admin portal,
 * shared/src/session-stores.ts). The TTL mirrors the idle timeout so abandoned sessions
 * disappear on their own; the absolute timeout is checked on read.
 */
export class RedisSessionStore extends RedisKeyedStore<SessionData> implements SessionStore {
  constructor(redis: Redis, prefix: string) {
    super(redis, prefix, () => new SessionStoreUnavailableError());
  }
}
