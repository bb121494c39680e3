import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { allows, type PathRule, parsePolicy, renderTokenizerPolicy } from './hcl-policy.js';

/**
 * A test double of HashiCorp Vault for exactly the calls the tokenizer makes, following
 * Vault's documented HTTP API (api-docs/auth/approle, api-docs/auth/token,
 * api-docs/secret/transit, api-docs/system/health): same paths, same `{ data }` /
 * `{ auth }` / `{ errors: [...] }` shapes and statuses. Test code only: no runtime path
 * can select it. Tokens really expire (TTL and max TTL), so renewal and re-login are
 * exercised; transit keys are real AES-256-GCM with versions and min_decryption_version.
 *
 * Routes:
 *   GET  /v1/sys/health                          200, or 503 with sealed: true
 *   POST /v1/auth/approle/login                   { role_id, secret_id } -> { auth }
 *   POST /v1/auth/token/renew-self                { increment? } -> { auth }, capped at max TTL
 *   GET  /v1/auth/token/lookup-self               -> { data: { ttl, ... } }
 *   POST /v1/<mount>/datakey/plaintext/<key>      -> { data: { plaintext, ciphertext, key_version } }
 *   POST /v1/<mount>/decrypt/<key>                { ciphertext } -> { data: { plaintext } }
 *   POST /v1/<mount>/rewrap/<key>                 { ciphertext } -> { data: { ciphertext, key_version } }
 *   POST /v1/<mount>/keys/<key>/rotate            -> { data: <key description> } (or 204, legacyNoContent)
 *   POST /v1/<mount>/keys/<key>/config            { min_decryption_version } -> { data } (or 204)
 *   GET  /v1/<mount>/keys/<key>                   -> { data: <key description> }
 * Tokens carry the policy that ships, vault/tokenizer-policy.hcl, parsed and enforced
 * (exact paths, capabilities, allowed_parameters): anything else answers 403 permission denied.
 */
export interface VaultDoubleOptions {
  mount?: string;
  key?: string;
  /** Token TTL and max TTL in seconds (Vault's role `token_ttl`, `token_max_ttl`). */
  tokenTtl?: number;
  tokenMaxTtl?: number;
  /** Answer rotate and config with 204 and no body, as Vault before 1.14 did. */
  legacyNoContent?: boolean;
  /** Serve HTTPS with this key and certificate (PEM), as a production Vault listener does. */
  tls?: { key: string; cert: string };
  /**
   * An administrative token, as after `vault operator init`: requests with it may also call the
   * setup routes vault/setup-approle.sh uses (sys/mounts, sys/auth, sys/policies/acl, transit key
   * creation and config, the AppRole role, role id and secret ids). The transit mount, the key,
   * AppRole and the policy then exist only once written, and the policy enforced on tokenizer
   * tokens is the one written. Without it the double starts set up, as before.
   */
  adminToken?: string;
  /**
   * Start uninitialised, as a new Vault server: `PUT sys/init` returns the administrative token
   * and one unseal key, and the double stays sealed until `PUT sys/unseal` with that key. Implies
   * admin mode (the token is the one init returns).
   */
  uninitialised?: boolean;
  /** Where to listen (default 127.0.0.1, any port). */
  host?: string;
  port?: number;
}

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  hadToken: boolean;
  status: number;
  /** renew-self only: the lease the double granted, in seconds. */
  leaseGranted?: number;
}

interface TokenEntry {
  expiresAt: number;
  maxExpiresAt: number;
  createdAt: number;
}

interface TransitKey {
  versions: Buffer[];
  createdAt: number[];
  minDecryptionVersion: number;
}

const CIPHERTEXT = /^vault:v([0-9]+):([A-Za-z0-9+/]*={0,2})$/;

export class VaultDouble {
  readonly mount: string;
  readonly key: string;
  roleId: string = randomUUID();
  secretId: string = randomUUID();
  readonly requests: RequestRecord[] = [];
  tokenTtl: number;
  tokenMaxTtl: number;
  sealed = false;
  /** When set, every token-authenticated path answers 403 (a policy detached from the role). */
  permissionDenied = false;
  private readonly legacyNoContent: boolean;
  private policy: PathRule[];
  private adminToken: string | undefined;
  private initialised = true;
  private adminTokenIssued = true;
  private unsealKey: string | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly mounts = new Set<string>();
  private readonly authMounts = new Set<string>();
  private readonly policies = new Map<string, string>();
  private readonly roles = new Map<string, Record<string, unknown>>();
  /** Secret ids by accessor (admin mode: several may be live until destroyed). */
  private readonly secretIds = new Map<string, string>();
  private readonly tls: { key: string; cert: string } | undefined;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly keys = new Map<string, TransitKey>();
  private server: http.Server | undefined;
  private sockets = new Set<import('node:net').Socket>();
  url = '';

  constructor(options: VaultDoubleOptions = {}) {
    this.mount = options.mount ?? 'transit';
    this.key = options.key ?? 'tokenizer-kek';
    this.tokenTtl = options.tokenTtl ?? 3600;
    this.tokenMaxTtl = options.tokenMaxTtl ?? 4 * 3600;
    this.legacyNoContent = options.legacyNoContent ?? false;
    // Admin mode enforces the policy written through sys/policies/acl instead.
    const admin = options.adminToken !== undefined || options.uninitialised === true;
    this.policy = admin ? [] : parsePolicy(renderTokenizerPolicy(this.mount, this.key));
    this.tls = options.tls;
    this.adminToken = options.adminToken;
    if (options.uninitialised) {
      this.initialised = false;
      this.sealed = true;
      this.adminToken = `hvs.${randomBytes(18).toString('base64url')}`;
      this.adminTokenIssued = false;
    }
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    if (admin) {
      // Nothing is set up until vault/setup-approle.sh (or an operator) writes it.
      this.secretId = '';
    } else {
      this.keys.set(this.key, { versions: [randomBytes(32)], createdAt: [now()], minDecryptionVersion: 1 });
    }
  }

  async start(): Promise<string> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch(() => send(res, 500, { errors: ['internal error'] }));
    };
    this.server = this.tls ? https.createServer(this.tls, listener) : http.createServer(listener);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, this.host, resolve));
    this.url = `${this.tls ? 'https' : 'http'}://${this.host}:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** A new secret id replaces the old one, as when setup-approle.sh runs again and destroys the previous. */
  issueSecretId(): string {
    this.secretId = randomUUID();
    return this.secretId;
  }

  /** Every token issued so far stops working, as after `vault token revoke`. */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  latestVersion(name = this.key): number {
    return this.keys.get(name)?.versions.length ?? 0;
  }

  count(path: string, status?: number): number {
    return this.requests.filter((r) => r.path === path && (status === undefined || r.status === status)).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://vault');
    const path = url.pathname;
    const token = req.headers['x-vault-token'];
    const record: RequestRecord = {
      at: Date.now(),
      method: req.method ?? '',
      path,
      hadToken: typeof token === 'string' && token.length > 0,
      status: 0,
    };
    this.requests.push(record);
    const reply = (status: number, body?: unknown) => {
      record.status = status;
      send(res, status, body);
    };

    let body: Record<string, unknown> = {};
    if (req.method === 'POST' || req.method === 'PUT') {
      const raw = await readBody(req);
      if (raw.length > 0) {
        try {
          const parsed = JSON.parse(raw) as unknown;
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          body = parsed as Record<string, unknown>;
        } catch {
          return reply(400, { errors: ['failed to parse JSON input: invalid character'] });
        }
      }
    }

    if (path === '/v1/sys/init' && req.method === 'GET') return reply(200, { initialized: this.initialised });
    if (path === '/v1/sys/init' && (req.method === 'POST' || req.method === 'PUT')) {
      if (this.initialised) return reply(400, { errors: ['Vault is already initialized'] });
      this.initialised = true;
      this.adminTokenIssued = true;
      this.unsealKey = randomBytes(32).toString('hex');
      return reply(200, { keys: [this.unsealKey], keys_base64: [], root_token: this.adminToken });
    }
    if (path === '/v1/sys/seal-status' && req.method === 'GET') {
      return reply(200, {
        type: 'shamir',
        initialized: this.initialised,
        sealed: this.sealed,
        t: 1,
        n: 1,
        progress: 0,
      });
    }
    if (path === '/v1/sys/unseal' && (req.method === 'POST' || req.method === 'PUT')) {
      if (!this.initialised) return reply(400, { errors: ['Vault is not initialized'] });
      if (this.unsealKey !== undefined && body.key !== this.unsealKey) return reply(400, { errors: ['invalid key'] });
      this.sealed = false;
      return reply(200, { type: 'shamir', initialized: true, sealed: false, t: 1, n: 1, progress: 0 });
    }
    if (path === '/v1/sys/health' && req.method === 'GET') {
      if (!this.initialised) return reply(501, { initialized: false, sealed: true, standby: true });
      const health = {
        initialized: true,
        sealed: this.sealed,
        standby: this.sealed,
        performance_standby: false,
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        server_time_utc: now(),
        version: '1.17.0+double',
        cluster_name: 'vault-double',
        cluster_id: 'vault-double',
      };
      return reply(this.sealed ? 503 : 200, health);
    }
    if (this.sealed) return reply(503, { errors: ['Vault is sealed'] });

    if (this.adminToken && this.adminTokenIssued && token === this.adminToken)
      return this.handleAdmin(req.method ?? '', path, url, body, reply);

    if (path === '/v1/auth/approle/login' && (req.method === 'POST' || req.method === 'PUT')) {
      const known =
        (this.secretId !== '' && body.secret_id === this.secretId) ||
        [...this.secretIds.values()].includes(body.secret_id as string);
      // In admin mode AppRole answers only once it has been enabled.
      const enabled = !this.adminToken || this.authMounts.has('approle/');
      if (!enabled || body.role_id !== this.roleId || !known) {
        return reply(400, { errors: ['invalid role or secret ID'] });
      }
      const clientToken = `hvs.${randomBytes(18).toString('base64url')}`;
      const created = Date.now();
      this.tokens.set(clientToken, {
        createdAt: created,
        expiresAt: created + this.tokenTtl * 1000,
        maxExpiresAt: created + this.tokenMaxTtl * 1000,
      });
      return reply(200, envelope({ auth: this.auth(clientToken, this.tokenTtl) }));
    }

    // Everything else needs a live token; Vault answers an absent, unknown or expired one with 403.
    const entry = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!entry || Date.now() >= entry.expiresAt || this.permissionDenied) {
      if (entry && Date.now() >= entry.expiresAt) this.tokens.delete(token as string);
      return reply(403, { errors: ['permission denied'] });
    }
    if (!allows(this.policy, req.method ?? '', path.slice('/v1/'.length), body)) {
      return reply(403, { errors: ['permission denied'] });
    }

    if (path === '/v1/auth/token/renew-self' && (req.method === 'POST' || req.method === 'PUT')) {
      const requested = parseDuration(body.increment) ?? this.tokenTtl;
      const remainingToMax = Math.floor((entry.maxExpiresAt - Date.now()) / 1000);
      const granted = Math.max(0, Math.min(requested, remainingToMax));
      entry.expiresAt = Math.min(Date.now() + requested * 1000, entry.maxExpiresAt);
      record.leaseGranted = granted;
      const warnings =
        granted < requested
          ? [`TTL of "${requested}s" exceeded the effective max_ttl of "${granted}s"; TTL value is capped accordingly`]
          : null;
      return reply(200, envelope({ auth: this.auth(token as string, granted), warnings }));
    }
    if (path === '/v1/auth/token/lookup-self' && req.method === 'GET') {
      return reply(
        200,
        envelope({
          data: {
            ttl: Math.max(0, Math.floor((entry.expiresAt - Date.now()) / 1000)),
            renewable: true,
            policies: ['tokenizer'],
            creation_time: Math.floor(entry.createdAt / 1000),
            expire_time: new Date(entry.expiresAt).toISOString(),
            type: 'service',
          },
        }),
      );
    }

    const transit = this.route(path, req.method ?? '');
    if (!transit) return reply(404, { errors: [] });
    const key = transit.key === this.key ? this.keys.get(transit.key) : undefined;
    if (!key) return reply(400, { errors: ['encryption key not found'] });
    switch (transit.op) {
      case 'datakey': {
        const plaintext = randomBytes(32);
        const version = key.versions.length;
        return reply(
          200,
          envelope({
            data: {
              plaintext: plaintext.toString('base64'),
              ciphertext: seal(key, version, plaintext),
              key_version: version,
            },
          }),
        );
      }
      case 'decrypt': {
        const opened = open(key, body.ciphertext);
        if ('error' in opened) return reply(400, { errors: [opened.error] });
        return reply(200, envelope({ data: { plaintext: opened.plaintext.toString('base64') } }));
      }
      case 'rewrap': {
        const opened = open(key, body.ciphertext);
        if ('error' in opened) return reply(400, { errors: [opened.error] });
        const version = key.versions.length;
        return reply(
          200,
          envelope({ data: { ciphertext: seal(key, version, opened.plaintext), key_version: version } }),
        );
      }
      case 'rotate': {
        key.versions.push(randomBytes(32));
        key.createdAt.push(now());
        if (this.legacyNoContent) return reply(204);
        return reply(200, envelope({ data: describe(transit.key, key) }));
      }
      case 'config': {
        const requested = Number(body.min_decryption_version);
        if (!Number.isInteger(requested) || requested < 0) {
          return reply(400, { errors: ['min_decryption_version must be an integer'] });
        }
        const version = requested === 0 ? 1 : requested;
        if (version > key.versions.length) {
          return reply(400, {
            errors: [`cannot set min decryption version of ${version}, latest key version is ${key.versions.length}`],
          });
        }
        key.minDecryptionVersion = version;
        if (this.legacyNoContent) return reply(204);
        return reply(200, envelope({ data: describe(transit.key, key) }));
      }
      case 'read':
        return reply(200, envelope({ data: describe(transit.key, key) }));
    }
  }

  /** The setup routes of Vault's API that vault/setup-approle.sh calls, for the admin token only. */
  private async handleAdmin(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown>,
    reply: (status: number, body?: unknown) => void,
  ): Promise<void> {
    const write = method === 'POST' || method === 'PUT';
    const isList = method === 'LIST' || (method === 'GET' && url.searchParams.get('list') === 'true');
    const mountTable = (set: Set<string>, base: string) =>
      Object.fromEntries([base, ...set].map((m) => [m, { type: m === base ? base.slice(0, -1) : m.slice(0, -1) }]));
    const mountPath = /^\/v1\/sys\/mounts\/([A-Za-z0-9_-]+)$/.exec(path);
    const authPath = /^\/v1\/sys\/auth\/([A-Za-z0-9_-]+)$/.exec(path);
    const policyPath = /^\/v1\/sys\/policies\/acl\/([A-Za-z0-9_-]+)$/.exec(path);
    if (path === '/v1/sys/mounts' && method === 'GET') {
      const table = mountTable(this.mounts, 'cubbyhole/');
      return reply(200, { ...table, data: table });
    }
    if (mountPath && write) {
      if (body.type !== 'transit')
        return reply(400, { errors: [`the double mounts transit only, not ${String(body.type)}`] });
      this.mounts.add(`${mountPath[1]}/`);
      return reply(204);
    }
    if (path === '/v1/sys/auth' && method === 'GET') {
      const table = mountTable(this.authMounts, 'token/');
      return reply(200, { ...table, data: table });
    }
    if (authPath && write) {
      if (body.type !== 'approle')
        return reply(400, { errors: [`the double enables approle only, not ${String(body.type)}`] });
      this.authMounts.add(`${authPath[1]}/`);
      return reply(204);
    }
    if (policyPath && write) {
      const text = String(body.policy ?? '');
      const rules = parsePolicy(text);
      if (rules.length === 0) return reply(400, { errors: ['failed to parse policy'] });
      this.policies.set(policyPath[1] as string, text);
      return reply(204);
    }
    const keyPath = new RegExp(`^/v1/${this.mount}/keys/([A-Za-z0-9_-]+)(/config)?$`).exec(path);
    if (keyPath && this.mounts.has(`${this.mount}/`)) {
      const name = keyPath[1] as string;
      const existing = this.keys.get(name);
      if (keyPath[2]) {
        if (!write || !existing) return reply(existing ? 405 : 404, { errors: [] });
        if (body.exportable === true || body.exportable === 'true' || body.allow_plaintext_backup === 'true')
          return reply(400, { errors: ['the double refuses exportable keys'] });
        return reply(200, envelope({ data: describe(name, existing) }));
      }
      if (method === 'GET')
        return existing ? reply(200, envelope({ data: describe(name, existing) })) : reply(404, { errors: [] });
      if (write) {
        if (body.type !== undefined && body.type !== 'aes256-gcm96')
          return reply(400, { errors: ['the double has aes256-gcm96 keys only'] });
        if (body.exportable === true || body.allow_plaintext_backup === true)
          return reply(400, { errors: ['the double refuses exportable keys'] });
        if (!existing)
          this.keys.set(name, { versions: [randomBytes(32)], createdAt: [now()], minDecryptionVersion: 1 });
        return reply(204);
      }
    }
    const role =
      /^\/v1\/auth\/approle\/role\/([A-Za-z0-9_-]+)(\/role-id|\/secret-id|\/secret-id-accessor\/destroy)?$/.exec(path);
    if (role && this.authMounts.has('approle/')) {
      const [, name, sub] = role;
      if (!sub && write) {
        const policies = String(body.token_policies ?? '')
          .split(',')
          .filter(Boolean);
        const policy = policies.length === 1 ? this.policies.get(policies[0] as string) : undefined;
        if (!policy) return reply(400, { errors: ['the role must name exactly one written policy'] });
        this.roles.set(name as string, body);
        // Tokens of this role carry the policy written, not a copy compiled into the double.
        this.policy = parsePolicy(policy);
        this.tokenTtl = parseDuration(body.token_ttl) ?? this.tokenTtl;
        this.tokenMaxTtl = parseDuration(body.token_max_ttl) ?? this.tokenMaxTtl;
        return reply(204);
      }
      if (!this.roles.has(name as string)) return reply(404, { errors: [`role "${name}" does not exist`] });
      if (sub === '/role-id' && write) {
        this.roleId = String(body.role_id);
        return reply(204);
      }
      if (sub === '/role-id' && method === 'GET') return reply(200, envelope({ data: { role_id: this.roleId } }));
      if (sub === '/secret-id' && isList) {
        if (this.secretIds.size === 0) return reply(404, { errors: [] });
        return reply(200, envelope({ data: { keys: [...this.secretIds.keys()] } }));
      }
      if (sub === '/secret-id' && write) {
        const secretId = randomUUID();
        const accessor = randomUUID();
        this.secretIds.set(accessor, secretId);
        return reply(200, envelope({ data: { secret_id: secretId, secret_id_accessor: accessor, secret_id_ttl: 0 } }));
      }
      if (sub === '/secret-id-accessor/destroy' && write) {
        this.secretIds.delete(String(body.secret_id_accessor));
        return reply(204);
      }
    }
    return reply(404, { errors: [`no route for ${method} ${path} in the double`] });
  }

  private route(path: string, method: string): { op: string; key: string } | undefined {
    const prefix = `/v1/${this.mount}/`;
    if (!path.startsWith(prefix)) return undefined;
    const rest = path.slice(prefix.length).split('/');
    const write = method === 'POST' || method === 'PUT';
    if (write && rest.length === 3 && rest[0] === 'datakey' && rest[1] === 'plaintext') {
      return { op: 'datakey', key: rest[2] as string };
    }
    if (write && rest.length === 2 && (rest[0] === 'decrypt' || rest[0] === 'rewrap')) {
      return { op: rest[0], key: rest[1] as string };
    }
    if (write && rest.length === 3 && rest[0] === 'keys' && (rest[2] === 'rotate' || rest[2] === 'config')) {
      return { op: rest[2], key: rest[1] as string };
    }
    if (method === 'GET' && rest.length === 2 && rest[0] === 'keys') return { op: 'read', key: rest[1] as string };
    return undefined;
  }

  private auth(clientToken: string, leaseDuration: number) {
    return {
      client_token: clientToken,
      accessor: randomBytes(12).toString('base64url'),
      policies: ['tokenizer'],
      token_policies: ['tokenizer'],
      metadata: { role_name: 'tokenizer' },
      lease_duration: leaseDuration,
      renewable: true,
      entity_id: 'vault-double-entity',
      token_type: 'service',
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    };
  }
}

function envelope(fields: { data?: unknown; auth?: unknown; warnings?: unknown }) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: fields.data ?? null,
    wrap_info: null,
    warnings: fields.warnings ?? null,
    auth: fields.auth ?? null,
  };
}

function describe(name: string, key: TransitKey) {
  return {
    name,
    type: 'aes256-gcm96',
    deletion_allowed: false,
    derived: false,
    exportable: false,
    allow_plaintext_backup: false,
    keys: Object.fromEntries(key.createdAt.map((t, i) => [String(i + 1), t])),
    latest_version: key.versions.length,
    min_available_version: 0,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: 0,
    supports_encryption: true,
    supports_decryption: true,
    supports_derivation: true,
    supports_signing: false,
    imported: false,
  };
}

function seal(key: TransitKey, version: number, plaintext: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.versions[version - 1] as Buffer, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `vault:v${version}:${sealed.toString('base64')}`;
}

function open(key: TransitKey, ciphertext: unknown): { plaintext: Buffer } | { error: string } {
  if (typeof ciphertext !== 'string') return { error: 'missing ciphertext to decrypt' };
  const match = CIPHERTEXT.exec(ciphertext);
  if (!match) return { error: 'invalid ciphertext: no prefix' };
  const version = Number(match[1]);
  if (version > key.versions.length) return { error: 'invalid ciphertext: version is too new' };
  if (version < key.minDecryptionVersion) {
    return { error: 'ciphertext or signature version is disallowed by policy (too old)' };
  }
  const sealed = Buffer.from(match[2] as string, 'base64');
  if (sealed.length < 12 + 16) return { error: 'invalid ciphertext: unable to decrypt' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.versions[version - 1] as Buffer, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return { plaintext: Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]) };
  } catch {
    return { error: 'invalid ciphertext: unable to decrypt' };
  }
}

/** Vault accepts `"90s"`, `"5m"`, `"1h"` or a number of seconds. */
function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.floor(value);
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+)(s|m|h)?$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2] === 'h' ? n * 3600 : match[2] === 'm' ? n * 60 : n;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Vault's listener refuses bodies over max_request_size (32 MiB by default).
      if (size > 32 * 1024 * 1024) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
