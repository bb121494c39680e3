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

/** In-process store, used only when REDIS_URL is unset (one process, lost at restart). */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, { data: SessionData; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(idHash: string): Promise<SessionData | undefined> {
    const entry = this.entries.get(idHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(idHash);
      return undefined;
    }
    return structuredClone(entry.data);
  }

  async set(idHash: string, data: SessionData, ttlMs: number): Promise<void> {
    if (this.entries.size >= 1000) {
      const now = this.now();
      for (const [k, v] of this.entries) if (v.expiresAt <= now) this.entries.delete(k);
    }
    this.entries.set(idHash, { data: structuredClone(data), expiresAt: this.now() + ttlMs });
  }

  async destroy(idHash: string): Promise<void> {
    this.entries.delete(idHash);
  }
}

/** Sessions in Redis under the portal's own prefix (never the shop's key space). */
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
      // Fail closed: without the store nobody is authenticated.
      throw new SessionsUnavailableError();
    }
  }
}
