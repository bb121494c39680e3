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

  /** The per-user index: the id hashes of a user's sessions, so all of them can be ended at once. */
  private userKey(userId: string): string {
    return `${this.prefix}user-sess:${userId}`;
  }

  async set(idHash: string, data: SessionData, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, ttlMs);
    if (!data.userId) {
      await this.guard(() => this.redis.set(this.key(idHash), JSON.stringify(data), 'PX', ttl));
      return;
    }
    const index = this.userKey(data.userId);
    // One MULTI: a session is never saved without its index entry. The index lives as long as
    // its longest session (NX sets a first expiry, GT only ever extends it; both need Redis 7.0, which compose runs); ids of sessions
    // that ended before it expires are harmless (deleting a missing key is a no-op).
    await this.guard(() =>
      this.redis
        .multi()
        .set(this.key(idHash), JSON.stringify(data), 'PX', ttl)
        .sadd(index, idHash)
        .pexpire(index, ttl, 'NX')
        .pexpire(index, ttl, 'GT')
        .exec()
        .then(failedStep),
    );
  }

  async destroy(idHash: string): Promise<void> {
    await this.guard(() => this.redis.del(this.key(idHash)));
  }

  async destroyUserSessions(userId: string): Promise<void> {
    const index = this.userKey(userId);
    const ids = await this.guard(() => this.redis.smembers(index));
    await this.guard(() =>
      this.redis
        .multi()
        .del(...ids.map((id) => this.key(id)), index)
        .exec()
        .then(failedStep),
    );
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

/** A MULTI answers per step: one failed step fails the call (fail closed). */
function failedStep(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('transaction aborted');
  for (const [err] of results) if (err) throw err;
}
