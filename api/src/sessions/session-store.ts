/**
 * What the shopper typed in this session (email at signup or login, name at signup), shown
 * back by `GET /api/me`. The api may never detokenize, so this is the only place it can
 * know them: server-side session state only (Redis or process memory, expiring with the
 * session), never the database, never a log line. The name is null after a plain login.
 */
export interface SessionProfile {
  email: string;
  name: string | null;
}

/** What the server keeps for one session. Never holds the session id itself; personal data only in `profile`. */
export interface SessionData {
  /** Identifies the anonymous cart; random, not derived from the session id. */
  cartKey: string;
  userId: string | null;
  /** Secret of @fastify/csrf-protection: tokens are bound to this session. */
  csrfSecret?: string;
  /** Set on signup and login only. */
  profile?: SessionProfile;
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
  /**
   * Ends every session of one user (password reset, account deletion: ASVS 3.3.3, 2.5.x),
   * through a per-user index kept as sessions are saved.
   */
  destroyUserSessions(userId: string): Promise<void>;
  close?(): Promise<void>;
}
