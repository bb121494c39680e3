/** What the server keeps for one session. Never holds personal data or the session id itself. */
export interface SessionData {
  /** Identifies the anonymous cart; random, not derived from the session id. */
  cartKey: string;
  userId: string | null;
  /** Secret of @fastify/csrf-protection: tokens are bound to this session. */
  csrfSecret?: string;
  /** Epoch milliseconds: creation (absolute timeout) and last use (idle timeout). */
  createdAt: number;
  lastSeenAt: number;
}

/**
 * Server-side session state. Keys are a hash of the session id, so a dump of the store
 * does not hand out live cookies. Implementations throw `SessionStoreUnavailableError`
 * when they cannot answer: callers fail closed (no session is guessed).
 */
export interface SessionStore {
  get(idHash: string): Promise<SessionData | undefined>;
  set(idHash: string, data: SessionData, ttlMs: number): Promise<void>;
  destroy(idHash: string): Promise<void>;
  close?(): Promise<void>;
}
