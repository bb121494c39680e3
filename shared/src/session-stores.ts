import type { Redis } from 'ioredis';

/**
 * Session stores shared by the api and the admin portal, keyed by a hash of the session id
 * (a store dump yields no usable cookie). Each service gives its own session shape, key prefix
 * and the error of its own catalogue that a store failure becomes (fail closed: without the
 * store nobody is authenticated).
 */
export interface KeyedStore<T> {
  get(idHash: string): Promise<T | undefined>;
  set(idHash: string, data: T, ttlMs: number): Promise<void>;
  destroy(idHash: string): Promise<void>;
}

/** In-process store, used only when REDIS_URL is unset (one process, lost at restart). */
export class MemoryKeyedStore<T> implements KeyedStore<T> {
  private readonly entries = new Map<string, { data: T; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(idHash: string): Promise<T | undefined> {
    const entry = this.entries.get(idHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(idHash);
      return undefined;
    }
    return structuredClone(entry.data);
  }

  async set(idHash: string, data: T, ttlMs: number): Promise<void> {
    this.sweep();
    this.entries.set(idHash, { data: structuredClone(data), expiresAt: this.now() + ttlMs });
  }

  async destroy(idHash: string): Promise<void> {
    this.entries.delete(idHash);
  }

  /** Bounded memory: expired sessions are dropped as new ones arrive. */
  private sweep(): void {
    if (this.entries.size < 1000) return;
    const now = this.now();
    for (const [k, v] of this.entries) if (v.expiresAt <= now) this.entries.delete(k);
  }
}

/** Sessions in Redis under `<prefix>sess:<idHash>`, with a TTL; the service's own prefix only. */
export class RedisKeyedStore<T> implements KeyedStore<T> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly unavailable: () => Error,
  ) {}

  private key(idHash: string): string {
    return `${this.prefix}sess:${idHash}`;
  }

  async get(idHash: string): Promise<T | undefined> {
    const raw = await this.guard(() => this.redis.get(this.key(idHash)));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined;
    }
  }

  async set(idHash: string, data: T, ttlMs: number): Promise<void> {
    await this.guard(() => this.redis.set(this.key(idHash), JSON.stringify(data), 'PX', Math.max(1, ttlMs)));
  }

  async destroy(idHash: string): Promise<void> {
    await this.guard(() => this.redis.del(this.key(idHash)));
  }

  private async guard<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch {
      // Fail closed: without the store nobody can be authenticated, and guessing would be worse.
      throw this.unavailable();
    }
  }
}
