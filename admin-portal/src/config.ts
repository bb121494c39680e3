import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';

const SERVICE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(SERVICE_ROOT, '..');
/** Development staff CA (ignored by git): `npm run staff-certs -w admin-portal -- issue <handle>`. */
export const DEV_STAFF_CA_DIR = join(REPO_ROOT, '.certs', 'staff-ca');
/** Development keys (ignored by git). */
export const DEV_KEYS_DIR = join(REPO_ROOT, '.keys');
/** The portal's server certificate and its client certificate towards the tokenizer come from the internal CA. */
export const DEV_INTERNAL_CA_DIR = join(REPO_ROOT, '.certs', 'internal-ca');

/** The portal's environment, validated once at boot; a bad value stops it, naming the variable. */
export const AdminEnv = Type.Object({
  ADMIN_HOST: Type.String({ default: '127.0.0.1' }),
  ADMIN_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3443 }),
  /** Staff CA: the only issuer whose client certificates complete a handshake (never the internal CA). */
  ADMIN_STAFF_CA_FILE: Type.String({ default: join(DEV_STAFF_CA_DIR, 'ca.pem') }),
  ADMIN_STAFF_CRL_FILE: Type.String({ default: join(DEV_STAFF_CA_DIR, 'crl.pem') }),
  ADMIN_TLS_CERT_FILE: Type.String({ default: join(DEV_INTERNAL_CA_DIR, 'admin-portal', 'cert.pem') }),
  ADMIN_TLS_KEY_FILE: Type.String({ default: join(DEV_INTERNAL_CA_DIR, 'admin-portal', 'key.pem') }),
  /** How often the CRL file is checked for a change: a revocation takes effect within this many seconds. */
  ADMIN_CRL_RELOAD_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
  /** Every connection is closed after this age, so no authenticated connection outlives a policy change. */
  ADMIN_CONNECTION_MAX_AGE_SECONDS: Type.Integer({ minimum: 10, maximum: 3600, default: 300 }),
  /** Owner connection of the shop database: the portal's migrations and the staff-certs command use it. */
  ADMIN_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5432/shop' }),
  /** Login of the runtime role (shop_admin_portal); without it the owner connection switches role. */
  ADMIN_RUNTIME_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Ed25519 key that signs audit checkpoints: outside the database, so its users cannot forge them. */
  ADMIN_AUDIT_SIGNING_KEY_FILE: Type.String({ default: join(DEV_KEYS_DIR, 'admin-audit-signing.pem') }),
  /** Its public half, all that `audit verify` needs (auditors hold only this). */
  ADMIN_AUDIT_VERIFY_KEY_FILE: Type.String({ default: join(DEV_KEYS_DIR, 'admin-audit-verify.pem') }),
  ADMIN_AUDIT_CHECKPOINT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  ADMIN_SESSION_IDLE_MINUTES: Type.Integer({ minimum: 1, maximum: 15, default: 15 }),
  ADMIN_SESSION_ABSOLUTE_MINUTES: Type.Integer({ minimum: 15, maximum: 720, default: 480 }),
  ADMIN_INACTIVE_DISABLE_DAYS: Type.Integer({ minimum: 1, maximum: 90, default: 90 }),
  /** 32-byte key (base64) that encrypts TOTP secrets; ADMIN_TOTP_KEY_FILE in production. */
  ADMIN_TOTP_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** The portal's own key space in a shared Redis. */
  ADMIN_REDIS_PREFIX: Type.String({ pattern: '^[a-z0-9:_-]{1,40}$', default: 'admin-portal:' }),
  ADMIN_REFUND_APPROVAL_THRESHOLD_MINOR: Type.Integer({ minimum: 0, maximum: 100_000_000, default: 10_000 }),
  ADMIN_APPROVAL_TTL_MINUTES: Type.Integer({ minimum: 5, maximum: 10_080, default: 1440 }),
  /** WebAuthn relying party id: a host name the browser uses (WebAuthn refuses IP addresses). */
  ADMIN_WEBAUTHN_RP_ID: Type.String({ pattern: '^[a-z0-9.-]{1,253}$', default: 'localhost' }),
  /** The portal's origin(s) as browsers reach it, comma-separated: signatures for any other are refused. */
  ADMIN_WEBAUTHN_ORIGINS: Type.String({
    pattern: '^https://[a-z0-9.-]+(:[0-9]{1,5})?(,https://[a-z0-9.-]+(:[0-9]{1,5})?)*$',
    default: 'https://localhost:3443',
  }),
  /** The tokenizer (mTLS with the portal's internal-CA certificate). */
  ADMIN_TOKENIZER_URL: Type.String({ pattern: '^https://', default: 'https://127.0.0.1:3100' }),
  ADMIN_INTERNAL_CA_FILE: Type.String({ default: join(DEV_INTERNAL_CA_DIR, 'ca.pem') }),
  /** The portal's own Stripe key (restricted key with refunds only, in production). */
  ADMIN_STRIPE_SECRET_KEY: Type.Optional(Type.String({ minLength: 10 })),
  STRIPE_API_HOST: Type.Optional(Type.String()),
  STRIPE_API_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  STRIPE_API_PROTOCOL: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type AdminConfig = Static<typeof AdminEnv>;

export function loadAdminConfig(env: Record<string, string | undefined> = process.env): AdminConfig {
  return loadConfig(AdminEnv, env);
}
