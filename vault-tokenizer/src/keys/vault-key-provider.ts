import fs from 'node:fs/promises';
import NodeVault from 'node-vault';
import {
  type GeneratedKey,
  type KeyProvider,
  KeyProviderUnavailableError,
  type ProviderHealth,
  type WrappedKey,
  WrappedKeyRejectedError,
} from './key-provider.js';

export interface VaultKeyProviderOptions {
  /** `https://vault:8200` (VAULT_ADDR). */
  addr: string;
  roleId: string;
  /** The AppRole secret id itself, or (preferred) a file holding it, re-read at each login so it can be replaced. */
  secretId?: string;
  secretIdFile?: string;
  /** Transit mount (default `transit`) and key name (default `tokenizer-kek`). */
  mount?: string;
  key?: string;
  namespace?: string;
  /** PEM of the CA that signed Vault's listener certificate (VAULT_CACERT). */
  caCert?: string;
  /** Per HTTP request; default 3000 ms. */
  requestTimeoutMs?: number;
  /** Retries of network errors and 5xx (never of sealed): attempts in all, backoff base and cap, total budget. */
  retry?: Partial<RetryPolicy>;
  /** Where token lifecycle events go (renewal, re-login, background failures); never given a secret. */
  log?: (message: string) => void;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  budgetMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 8000 };
// Renew (or log in again) once two thirds of the token's lease has passed, as Vault Agent does.
const REFRESH_AT_FRACTION = 2 / 3;
const KEY_BYTES = 32;
const VAULT_CIPHERTEXT = /^vault:v([1-9][0-9]{0,8}):/;

interface TokenState {
  value: string;
  renewable: boolean;
  /** Vault gave a shorter lease than asked: the max TTL is near, so the next refresh is a fresh login. */
  nearMaxTtl: boolean;
  expiresAt: number;
  refreshAt: number;
}

type Failure =
  | { kind: 'sealed' | 'forbidden' | 'bad_request' | 'not_found'; status: number; message: string }
  | { kind: 'retryable'; status?: number; message: string };

/**
 * Vault transit as the root of the key hierarchy (production form). Authenticates with
 * AppRole, renews its token before the TTL and logs in again before the max TTL, retries
 * network errors and 5xx with backoff, and maps failures to KeyProviderUnavailableError
 * (forbidden / sealed / unavailable) so callers answer 503. There is no fallback: a
 * provider that cannot reach Vault never encrypts or decrypts anything itself.
 *
 * node-vault has no transit helpers, so the generic write()/read() are used. The token is
 * sent explicitly on every request and never kept on the client: node-vault's generic
 * write('auth/approle/login') does not set it (nodevault/node-vault#166), and a token left on
 * the client would also be sent with the next login.
 */
export class VaultKeyProvider implements KeyProvider {
  readonly kind = 'vault-transit';
  private readonly client: NodeVault.client;
  private readonly mount: string;
  private readonly key: string;
  private readonly retry: RetryPolicy;
  private readonly requestOptions: { timeout: number; ca?: string };
  private token: TokenState | undefined;
  private loginLeaseSeconds = 0;
  private refreshing: Promise<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: VaultKeyProviderOptions) {
    if (!options.secretId && !options.secretIdFile) {
      throw new Error('VaultKeyProvider needs secretId or secretIdFile');
    }
    this.mount = trimSlashes(options.mount ?? 'transit');
    this.key = options.key ?? 'tokenizer-kek';
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.requestOptions = {
      timeout: options.requestTimeoutMs ?? 3000,
      ...(options.caCert ? { ca: options.caCert } : {}),
    };
    this.client = NodeVault({
      endpoint: options.addr,
      token: '',
      pathPrefix: '',
      ...(options.namespace ? { namespace: options.namespace } : {}),
      requestOptions: this.requestOptions,
      // node-vault turns TLS verification off when VAULT_SKIP_VERIFY is set in the environment;
      // a key provider must never talk to an unverified Vault, whatever the environment says.
      rpDefaults: { strictSSL: true },
    } as NodeVault.VaultOptions);
    // node-vault falls back to VAULT_TOKEN and VAULT_PREFIX from the environment: only AppRole is used here.
    this.client.token = '';
    (this.client as unknown as { pathPrefix: string }).pathPrefix = '';
  }

  async generateKey(): Promise<GeneratedKey> {
    const data = await this.transit('datakey', `${this.mount}/datakey/plaintext/${this.key}`, { bits: 256 });
    const plaintext = decodeKey(data.plaintext, 'datakey');
    const ciphertext = expectCiphertext(data.ciphertext, 'datakey');
    return { plaintext, ciphertext, keyVersion: versionOf(ciphertext) };
  }

  async unwrapKey(wrapped: WrappedKey): Promise<Buffer> {
    checkWrapped(wrapped);
    const data = await this.transit('decrypt', `${this.mount}/decrypt/${this.key}`, { ciphertext: wrapped.ciphertext });
    return decodeKey(data.plaintext, 'decrypt');
  }

  async rewrapKey(wrapped: WrappedKey): Promise<WrappedKey> {
    checkWrapped(wrapped);
    const data = await this.transit('rewrap', `${this.mount}/rewrap/${this.key}`, { ciphertext: wrapped.ciphertext });
    const ciphertext = expectCiphertext(data.ciphertext, 'rewrap');
    return { ciphertext, keyVersion: versionOf(ciphertext) };
  }

  async rotate(): Promise<number> {
    const data = await this.transit('rotate', `${this.mount}/keys/${this.key}/rotate`, {});
    // Vault 1.14+ answers with the key's description; older versions answer 204 and the key must be read.
    if (typeof data.latest_version === 'number') return data.latest_version;
    const key = await this.transit('read key', `${this.mount}/keys/${this.key}`, undefined);
    if (typeof key.latest_version !== 'number') throw unexpected('read key');
    return key.latest_version;
  }

  async setMinDecryptionVersion(version: number): Promise<void> {
    if (!Number.isInteger(version) || version < 1) {
      throw new RangeError(`min decryption version must be a positive integer, got ${version}`);
    }
    await this.transit('config', `${this.mount}/keys/${this.key}/config`, { min_decryption_version: version });
  }

  async health(): Promise<ProviderHealth> {
    let body: { initialized?: boolean; sealed?: boolean } | undefined;
    try {
      // Answered without a token; node-vault resolves sys/health bodies whatever the status (503 when sealed).
      body = await this.client.request({ path: '/sys/health', method: 'GET', ...this.requestOptions });
    } catch (err) {
      return { status: 'unavailable', reason: `vault health: ${networkCode(err)}` };
    }
    if (typeof body !== 'object' || body === null)
      return { status: 'unavailable', reason: 'vault health: unexpected answer' };
    if (body.sealed === true) return { status: 'sealed', reason: 'vault is sealed' };
    if (body.initialized === false) return { status: 'unavailable', reason: 'vault is not initialized' };
    try {
      await this.ensureToken();
    } catch (err) {
      if (err instanceof KeyProviderUnavailableError) {
        return { status: err.reason === 'sealed' ? 'sealed' : 'unavailable', reason: err.message };
      }
      throw err;
    }
    return { status: 'ok' };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.token = undefined;
  }

  /** A transit call with a valid token, retried on transient failures; returns the response's `data`. */
  private async transit(op: string, path: string, body: object | undefined): Promise<Record<string, unknown>> {
    const response = await this.withRetry(op, true, async () => {
      const token = await this.ensureToken();
      const requestOptions = { headers: { 'X-Vault-Token': token } };
      return body === undefined
        ? this.client.read(path, requestOptions)
        : this.client.write(path, body, requestOptions);
    });
    const data = (response as { data?: unknown } | undefined)?.data;
    // Older Vault versions answer rotate and config with 204 and no body.
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  }

  /** The current token, renewed or replaced first when two thirds of its lease have passed. */
  private async ensureToken(): Promise<string> {
    if (this.closed) throw new KeyProviderUnavailableError('vault key provider is closed', 'unavailable');
    const token = this.token;
    if (token && Date.now() < token.refreshAt) return token.value;
    return this.startRefresh();
  }

  /** One refresh at a time, shared by every caller waiting for a token. */
  private startRefresh(): Promise<string> {
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    const token = this.token;
    if (token?.renewable && !token.nearMaxTtl && Date.now() < token.expiresAt - 200) {
      try {
        const renewed = await this.withRetry('renew-self', false, () => this.renew(token));
        if (renewed) return renewed;
      } catch (err) {
        // A revoked or expired token cannot be renewed: a fresh login replaces it. Sealed or down: stop here.
        if (!(err instanceof KeyProviderUnavailableError && err.reason === 'forbidden')) throw err;
        this.log('vault token renewal refused; logging in again');
      }
    }
    return this.withRetry('approle login', false, () => this.login());
  }

  private async login(): Promise<string> {
    const secretId = await this.secretId();
    const body = await this.client.write('auth/approle/login', { role_id: this.options.roleId, secret_id: secretId });
    const auth = parseAuth(body, 'approle login');
    this.loginLeaseSeconds = auth.lease_duration;
    this.setToken(auth.client_token, auth.lease_duration, auth.renewable, false);
    this.log(`vault approle login: token lease ${auth.lease_duration}s`);
    return auth.client_token;
  }

  /** The renewed token, or undefined when Vault granted no time: the max TTL is reached and only a login helps. */
  private async renew(token: TokenState): Promise<string | undefined> {
    const body = await this.client.write(
      'auth/token/renew-self',
      { increment: `${this.loginLeaseSeconds}s` },
      { headers: { 'X-Vault-Token': token.value } },
    );
    const auth = parseAuth(body, 'renew-self');
    // Less than a second left before the max TTL: a lease of 0 here means "expiring", not "never expires".
    if (auth.lease_duration < 1) return undefined;
    // Vault caps a renewal at the token's max TTL; a shorter lease than asked means that cap is near.
    const nearMaxTtl = auth.lease_duration < this.loginLeaseSeconds;
    this.setToken(auth.client_token || token.value, auth.lease_duration, auth.renewable, nearMaxTtl);
    this.log(
      `vault token renewed: lease ${auth.lease_duration}s${nearMaxTtl ? ' (max TTL near: next refresh logs in)' : ''}`,
    );
    return this.token?.value ?? token.value;
  }

  private setToken(value: string, leaseSeconds: number, renewable: boolean, nearMaxTtl: boolean): void {
    const now = Date.now();
    const leaseMs = leaseSeconds * 1000;
    this.token = {
      value,
      renewable,
      nearMaxTtl,
      // A lease of 0 is a token without expiry.
      expiresAt: leaseMs > 0 ? now + leaseMs : Number.POSITIVE_INFINITY,
      refreshAt: leaseMs > 0 ? now + leaseMs * REFRESH_AT_FRACTION : Number.POSITIVE_INFINITY,
    };
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (leaseMs > 0 && !this.closed) {
      // Refresh in the background too, so an idle tokenizer keeps a live token.
      this.timer = setTimeout(
        () => {
          // Refresh unconditionally: a timer may fire a millisecond before refreshAt by Date.now().
          if (this.closed) return;
          this.startRefresh().catch((err: unknown) => {
            this.log(`vault token refresh failed in the background: ${err instanceof Error ? err.message : 'error'}`);
          });
        },
        Math.max(0, leaseMs * REFRESH_AT_FRACTION),
      );
      this.timer.unref();
    }
  }

  private async secretId(): Promise<string> {
    if (this.options.secretId) return this.options.secretId;
    const file = this.options.secretIdFile as string;
    let secretId: string;
    try {
      secretId = (await fs.readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new KeyProviderUnavailableError(
        `cannot read VAULT_SECRET_ID_FILE ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'unavailable',
      );
    }
    if (!secretId) throw new KeyProviderUnavailableError(`VAULT_SECRET_ID_FILE ${file} is empty`, 'unavailable');
    return secretId;
  }

  private async withRetry<T>(op: string, reloginOnForbidden: boolean, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let relogged = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (err) {
        if (isMapped(err)) throw err;
        const failure = classify(err);
        if (failure.kind === 'forbidden' && reloginOnForbidden && !relogged) {
          // The token may have been revoked or expired inside Vault: one fresh login, then the answer stands.
          relogged = true;
          this.token = undefined;
          continue;
        }
        const elapsed = Date.now() - started;
        if (failure.kind === 'retryable' && attempt < this.retry.attempts && elapsed < this.retry.budgetMs) {
          const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
          // Full jitter spreads the retries of many tokenizer replicas after a Vault restart.
          await sleep(Math.min(delay / 2 + Math.random() * (delay / 2), this.retry.budgetMs - elapsed));
          continue;
        }
        throw toError(op, failure);
      }
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

function isMapped(err: unknown): boolean {
  return (
    err instanceof KeyProviderUnavailableError || err instanceof WrappedKeyRejectedError || err instanceof RangeError
  );
}

/** Reads a node-vault/axios failure. Only Vault's own error strings are kept: axios errors carry the request, token included. */
function classify(err: unknown): Failure {
  const response = (err as { response?: { statusCode?: unknown; body?: unknown } }).response;
  if (response && typeof response.statusCode === 'number') {
    const status = response.statusCode;
    const errors = (response.body as { errors?: unknown } | undefined)?.errors;
    const message =
      Array.isArray(errors) && typeof errors[0] === 'string' ? errors[0].slice(0, 200) : `status ${status}`;
    if (status === 503 && /sealed/i.test(message)) return { kind: 'sealed', status, message };
    if (status === 403) return { kind: 'forbidden', status, message };
    if (status === 400) return { kind: 'bad_request', status, message };
    if (status === 404) return { kind: 'not_found', status, message };
    if (status >= 500 || status === 429 || status === 412) return { kind: 'retryable', status, message };
    return { kind: 'bad_request', status, message };
  }
  return { kind: 'retryable', message: networkCode(err) };
}

function toError(op: string, failure: Failure): Error {
  const detail = `vault ${op}: ${failure.status ? `${failure.status} ` : ''}${failure.message}`;
  switch (failure.kind) {
    case 'sealed':
      return new KeyProviderUnavailableError(detail, 'sealed');
    case 'forbidden':
      return new KeyProviderUnavailableError(detail, 'forbidden');
    case 'bad_request':
      if (op === 'decrypt' || op === 'rewrap') {
        return new WrappedKeyRejectedError(
          detail,
          /too old|disallowed/i.test(failure.message) ? 'version_disallowed' : 'invalid_ciphertext',
        );
      }
      if (op === 'config') return new RangeError(detail);
      // An AppRole login refused (wrong or expired secret id) is an authorisation failure.
      if (op === 'approle login') return new KeyProviderUnavailableError(detail, 'forbidden');
      return new KeyProviderUnavailableError(detail, 'unavailable');
    case 'not_found':
      return new KeyProviderUnavailableError(
        `${detail} (check VAULT_TRANSIT_MOUNT and VAULT_TRANSIT_KEY)`,
        'unavailable',
      );
    default:
      return new KeyProviderUnavailableError(detail, 'unavailable');
  }
}

function networkCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'network error';
}

function parseAuth(body: unknown, op: string): { client_token: string; lease_duration: number; renewable: boolean } {
  const auth = (body as { auth?: Record<string, unknown> } | undefined)?.auth;
  if (!auth || typeof auth.client_token !== 'string' || typeof auth.lease_duration !== 'number') throw unexpected(op);
  return { client_token: auth.client_token, lease_duration: auth.lease_duration, renewable: auth.renewable === true };
}

function decodeKey(value: unknown, op: string): Buffer {
  if (typeof value !== 'string') throw unexpected(op);
  const key = Buffer.from(value, 'base64');
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    throw unexpected(op);
  }
  return key;
}

function expectCiphertext(value: unknown, op: string): string {
  if (typeof value !== 'string' || !VAULT_CIPHERTEXT.test(value)) throw unexpected(op);
  return value;
}

function versionOf(ciphertext: string): number {
  return Number(VAULT_CIPHERTEXT.exec(ciphertext)?.[1]);
}

function checkWrapped(wrapped: WrappedKey): void {
  const match = VAULT_CIPHERTEXT.exec(wrapped.ciphertext);
  if (!match) throw new WrappedKeyRejectedError('not a Vault transit ciphertext', 'invalid_ciphertext');
  if (Number(match[1]) !== wrapped.keyVersion) {
    throw new WrappedKeyRejectedError('wrapped key version does not match its ciphertext', 'invalid_ciphertext');
  }
}

function unexpected(op: string): KeyProviderUnavailableError {
  return new KeyProviderUnavailableError(`vault ${op}: unexpected answer`, 'unavailable');
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
