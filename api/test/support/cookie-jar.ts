import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/**
 * A browser-like client over `app.inject`: keeps cookies between requests and sends the
 * CSRF token on state-changing calls, so tests exercise the same path a storefront does.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    readonly app: FastifyInstance,
    readonly remoteAddress = '127.0.0.1',
  ) {}

  cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(opts: InjectOptions & { csrf?: boolean }): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>) };
    const method = (opts.method ?? 'GET').toUpperCase();
    // Token first: fetching it may create the session whose cookie this request must carry.
    if (opts.csrf !== false && method !== 'GET' && method !== 'HEAD' && !('x-csrf-token' in headers)) {
      headers['x-csrf-token'] = await this.csrfToken();
    }
    const cookie = this.cookieHeader();
    if (cookie && !('cookie' in headers)) headers.cookie = cookie;
    const { csrf: _csrf, ...rest } = opts;
    const res = await this.app.inject({ remoteAddress: this.remoteAddress, ...rest, headers });
    this.absorb(res);
    return res;
  }

  absorb(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  /** Fetches a token bound to the current session (creating an anonymous one if needed). */
  async csrfToken(): Promise<string> {
    if (this.csrf) return this.csrf;
    const res = await this.request({ method: 'GET', url: '/api/csrf-token' });
    if (res.statusCode !== 200) throw new Error(`GET /api/csrf-token answered ${res.statusCode}: ${res.body}`);
    this.csrf = res.json<{ token: string }>().token;
    return this.csrf;
  }

  /** Login rotates the session, which invalidates the token: the next call fetches a new one. */
  forgetCsrf(): void {
    this.csrf = undefined;
  }

  async signup(email: string, password: string, name = 'Test Shopper'): Promise<LightMyRequestResponse> {
    const res = await this.request({ method: 'POST', url: '/api/auth/signup', payload: { email, password, name } });
    if (res.statusCode === 201) this.forgetCsrf();
    return res;
  }

  async login(email: string, password: string): Promise<LightMyRequestResponse> {
    const res = await this.request({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
    if (res.statusCode === 200) this.forgetCsrf();
    return res;
  }

  async logout(): Promise<LightMyRequestResponse> {
    const res = await this.request({ method: 'POST', url: '/api/auth/logout' });
    this.forgetCsrf();
    return res;
  }
}
