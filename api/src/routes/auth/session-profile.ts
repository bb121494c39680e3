import type { FastifyRequest } from 'fastify';
import type { SessionProfile } from '../../sessions/session-store.js';

/** Keeps the typed email (and name, at signup) in the server-side session of a user just signed in. */
export async function rememberProfile(request: FastifyRequest, profile: SessionProfile): Promise<void> {
  const data = request.sessionState.data;
  if (!data) throw new Error('rememberProfile called without a session');
  data.profile = { email: profile.email, name: profile.name };
  await request.saveSession();
}

export function sessionProfile(request: FastifyRequest): SessionProfile | undefined {
  return request.sessionState.data?.profile;
}
