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
  readonly roleId = randomUUID();
  secretId = randomUUID();
  readonly requests: RequestRecord[] = [];
  tokenTtl: number;
  tokenMaxTtl: number;
  sealed = false;
  /** When set, every token-authenticated path answers 403 (a policy detached from the role). */
  permissionDenied = false;
  private readonly legacyNoContent: boolean;
  private readonly policy: PathRule[];
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
    this.policy = parsePolicy(renderTokenizerPolicy(this.mount, this.key));
    this.tls = options.tls;
    this.keys.set(this.key, { versions: [randomBytes(32)], createdAt: [now()], minDecryptionVersion: 1 });
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
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
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

    if (path === '/v1/sys/health' && req.method === 'GET') {
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

    if (path === '/v1/auth/approle/login' && (req.method === 'POST' || req.method === 'PUT')) {
      if (body.role_id !== this.roleId || body.secret_id !== this.secretId) {
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
    if (transit.key !== this.key) return reply(400, { errors: ['encryption key not found'] });
    const key = this.keys.get(transit.key) as TransitKey;
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
