import { MemoryKeyedStore } from '@shop/shared/session-stores';
import type { SessionData, SessionStore } from './session-store.js';

/**
 * In-process store, used only when REDIS_URL is unset (one process, lost at restart).
 * The server prints a warning when it is selected (shared with the admin portal).
 */
export class MemorySessionStore extends MemoryKeyedStore<SessionData> implements SessionStore {}
