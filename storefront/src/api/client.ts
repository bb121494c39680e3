// The only way the storefront talks to the api. Authentication is the HttpOnly session
// cookie the browser attaches by itself (same origin); nothing about the session is ever
// kept in localStorage, sessionStorage or IndexedDB (ARCHITECTURE: no token readable by XSS).

export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** An answer the api refused, with its stable error code. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// The CSRF token lives only in this module's memory: a reload fetches a fresh one.
let csrfToken: string | undefined;

async function fetchCsrfToken(): Promise<string> {
  const res = await fetch('/api/csrf-token', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = (await readJson(res)) as { token?: unknown } | undefined;
  if (!res.ok || typeof body?.token !== 'string') throw toApiError(res, body);
  csrfToken = body.token;
  return csrfToken;
}

async function readJson(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('application/json')) return undefined;
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

function toApiError(res: Response, body: unknown): ApiError {
  const err = (body as Partial<ApiErrorBody> | undefined)?.error;
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    return new ApiError(res.status, err.code, err.message);
  }
  return new ApiError(res.status, `http_${res.status}`, 'The shop could not answer right now. Please try again.');
}

type Method = 'GET' | 'POST' | 'DELETE';

async function send(method: Method, path: string, body?: unknown, retried = false): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken ?? (await fetchCsrfToken());
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The shop cannot be reached. Check your connection and try again.');
  }
  const data = await readJson(res);
  if (res.ok) return data;
  const error = toApiError(res, data);
  // The CSRF token is bound to the session, which rotates on login and signup: fetch a
  // fresh token once and retry, rather than failing the shopper's action.
  if (!retried && method !== 'GET' && res.status === 403 && error.code.includes('csrf')) {
    csrfToken = undefined;
    return send(method, path, body, true);
  }
  throw error;
}

/** Forgets the CSRF token (after login, signup or logout the session, and so the token, changes). */
export function resetCsrfToken(): void {
  csrfToken = undefined;
}

export const api = {
  get: (path: string) => send('GET', path),
  post: (path: string, body?: unknown) => send('POST', path, body),
  delete: (path: string) => send('DELETE', path),
};
