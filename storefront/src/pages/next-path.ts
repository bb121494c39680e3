/**
 * Where to go after login or signup. Only a local path is accepted: a `next` pointing at
 * another site would make the login form an open redirect (ASVS 5.1.5).
 */
export function safeNextPath(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/account';
  return next;
}
