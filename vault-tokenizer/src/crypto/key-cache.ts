/**
 * Unwrapped keys held in memory for a bounded time and a bounded number of uses, then
 * wiped (`fill(0)`). Bounds how long a key survives in a memory dump while keeping the
 * key provider off the hot path: it is called per key-encryption key, never per value.
 * Concurrent misses for one key share a single load, so a burst does not fan out.
 */
export interface KeyCacheOptions {
  ttlMs: number;
  maxUses: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  key: Buffer;
  expiresAt: number;
  usesLeft: number;
  wiped: boolean;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: KeyCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.min(opts.ttlMs, 30_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` synchronously with the key (loading it on a miss). The key must not be kept
   * beyond `fn`: the cache wipes it when the entry ends.
   */
  async use<T>(id: string, loader: () => Promise<Buffer>, fn: (key: Buffer) => T): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = this.live(id) ?? (await this.load(id, loader));
      // Another caller may have exhausted the entry between the load and this continuation.
      if (entry.wiped) continue;
      entry.usesLeft--;
      try {
        return fn(entry.key);
      } finally {
        if (entry.usesLeft <= 0) this.evict(id);
      }
    }
    throw new Error('key cache: entry kept expiring during use');
  }

  /** Puts a key the caller just created; the cache now owns (and will wipe) the buffer. */
  put(id: string, key: Buffer): void {
    this.evict(id);
    this.insert(id, key);
  }

  evict(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.wiped = true;
    entry.key.fill(0);
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.clear();
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now() || entry.usesLeft <= 0) {
      this.evict(id);
      return undefined;
    }
    return entry;
  }

  private load(id: string, loader: () => Promise<Buffer>): Promise<Entry> {
    let pending = this.loading.get(id);
    if (!pending) {
      pending = loader()
        .then((key) => this.insert(id, key))
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private insert(id: string, key: Buffer): Entry {
    while (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.evict(oldest);
    }
    const entry: Entry = { key, expiresAt: this.now() + this.opts.ttlMs, usesLeft: this.opts.maxUses, wiped: false };
    this.entries.set(id, entry);
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.evict(id);
  }
}
