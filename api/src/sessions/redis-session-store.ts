import type { Redis } from 'ioredis';
import { SessionStoreUnavailableError } from '../errors.js';
import type { SessionData, SessionStore } from './session-store.js';

/**
 * Sessions in Redis, shared by every api replica. The TTL mirrors the idle timeout so
 * abandoned sessions disappear on their own; the absolute timeout is checked on read.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(idHash: string): string {
    return `${this.prefix}sess:${idHash}`;
  }

  async get(idHash: string): Promise<SessionData | undefined> {
    const raw = await this.guard(() => this.redis.get(this.key(idHash)));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as SessionData;
    } catch {
      return undefined;
    }
  }

  async set(idHash: string, data: SessionData, ttlMs: number): Promise<void> {
    await this.guard(() => this.redis.set(this.key(idHash), JSON.stringify(data), 'PX', Math.max(1, ttlMs)));
  }

  async destroy(idHash: string): Promise<void> {
    await this.guard(() => this.redis.del(this.key(idHash)));
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch {
      // Fail closed: without the store nobody can be authenticated, and guessing would be worse.
      throw new SessionStoreUnavailableError();
    }
  }
}
