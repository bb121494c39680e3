import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';
import { KeyProviderConfigSchema } from './keys/index.js';

const SERVICE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(SERVICE_ROOT, '..');
/** Development certificates (ignored by git): `npm run certs -w vault-tokenizer -- init`. */
export const DEV_CERTS_DIR = join(REPO_ROOT, '.certs', 'internal-ca');

/** The tokenizer's environment, validated once at boot; a bad value stops it, naming the variable. */
const ServiceEnv = Type.Object({
  TOKENIZER_HOST: Type.String({ default: '127.0.0.1' }),
  TOKENIZER_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3100 }),
  /** Owner connection of the tokenizer's own database: migrations run with it at start. */
  TOKENIZER_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** Optional login of the runtime role; without it the owner connection switches role. */
  TOKENIZER_RUNTIME_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  TOKENIZER_DB_RUNTIME_ROLE: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'tokenizer_runtime' }),
  TOKENIZER_TLS_CA_FILE: Type.String({ default: join(DEV_CERTS_DIR, 'ca.pem') }),
  TOKENIZER_TLS_CRL_FILE: Type.String({ default: join(DEV_CERTS_DIR, 'crl.pem') }),
  TOKENIZER_TLS_CERT_FILE: Type.String({ default: join(DEV_CERTS_DIR, 'vault-tokenizer', 'cert.pem') }),
  TOKENIZER_TLS_KEY_FILE: Type.String({ default: join(DEV_CERTS_DIR, 'vault-tokenizer', 'key.pem') }),
  /** How often the CRL file is re-read, so a revocation takes effect without a restart. */
  TOKENIZER_CRL_RELOAD_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  /**
   * Maximum age of a caller's connection: then it closes (after its in-flight requests) and
   * the caller shakes hands again under the current CRL (pentest finding 8.5).
   */
  TOKENIZER_CONNECTION_MAX_AGE_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  TOKENIZER_POLICY_FILE: Type.String({ default: join(SERVICE_ROOT, 'policy', 'policy.json') }),
  /** Bounded lifetime and use count of an unwrapped key in memory (then wiped). */
  TOKENIZER_KEY_CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  TOKENIZER_KEY_CACHE_MAX_USES: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 1_000_000 }),
  TOKENIZER_KEY_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 16, maximum: 1_000_000, default: 10_000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

/** Service variables plus the key provider's (VAULT_* or TOKENIZER_LOCAL_KEK_FILE). */
export const TokenizerEnv = Type.Object({ ...ServiceEnv.properties, ...KeyProviderConfigSchema.properties });

export type TokenizerConfig = Static<typeof TokenizerEnv>;

export function loadTokenizerConfig(env: Record<string, string | undefined> = process.env): TokenizerConfig {
  const config = loadConfig(TokenizerEnv, env);
  return { ...config, TOKENIZER_POLICY_FILE: resolve(config.TOKENIZER_POLICY_FILE) };
}
