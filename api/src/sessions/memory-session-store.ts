import type { SessionData, SessionStore } from './session-store.js';

/**
 * In-process store, used only when REDIS_URL is unset (one process, lost at restart).
 * The server prints a warning when it is selected.
 */
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
    this.sweep();
    this.entries.set(idHash, { data: structuredClone(data), expiresAt: this.now() + ttlMs });
  }

  async destroy(idHash: string): Promise<void> {
    this.entries.delete(idHash);
  }

  async destroyUserSessions(userId: string): Promise<void> {
    for (const [k, v] of this.entries) if (v.data.userId === userId) this.entries.delete(k);
  }

  /** Bounded memory: expired sessions are dropped as new ones arrive. */
  private sweep(): void {
    if (this.entries.size < 1000) return;
    const now = this.now();
    for (const [k, v] of this.entries) if (v.expiresAt <= now) this.entries.delete(k);
  }
}
