import { readFileSync } from 'node:fs';
import { ConfigError } from '@shop/shared/config';
import Type, { type Static } from 'typebox';
import type { KeyProvider } from './key-provider.js';
import { LOCAL_KEY_PROVIDER_WARNING, LocalKeyProvider } from './local-key-provider.js';
import { VaultKeyProvider, type VaultKeyProviderOptions } from './vault-key-provider.js';

export { CountingKeyProvider } from './counting-key-provider.js';
export * from './key-provider.js';
export { DEFAULT_LOCAL_KEK_FILE, LOCAL_KEY_PROVIDER_WARNING, LocalKeyProvider } from './local-key-provider.js';
export { VaultKeyProvider, type VaultKeyProviderOptions } from './vault-key-provider.js';

/**
 * The key provider's part of the tokenizer's environment. Spread its `properties` into the
 * service's config schema. `VAULT_ADDR` set selects Vault transit; unset, the local file.
 */
export const KeyProviderConfigSchema = Type.Object({
  VAULT_ADDR: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  VAULT_ROLE_ID: Type.Optional(Type.String({ minLength: 1 })),
  VAULT_SECRET_ID: Type.Optional(Type.String({ minLength: 1 })),
  VAULT_SECRET_ID_FILE: Type.Optional(Type.String({ minLength: 1 })),
  VAULT_TRANSIT_MOUNT: Type.String({ default: 'transit', pattern: '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$' }),
  VAULT_TRANSIT_KEY: Type.String({ default: 'tokenizer-kek', pattern: '^[A-Za-z0-9_-]+$' }),
  VAULT_NAMESPACE: Type.Optional(Type.String({ minLength: 1 })),
  /** Path of the PEM CA bundle that signed Vault's TLS certificate (Vault's own variable name). */
  VAULT_CACERT: Type.Optional(Type.String({ minLength: 1 })),
  TOKENIZER_LOCAL_KEK_FILE: Type.Optional(Type.String({ minLength: 1 })),
});

export type KeyProviderConfig = Static<typeof KeyProviderConfigSchema>;

export interface CreateKeyProviderOptions {
  /** Receives the not-for-production warning and Vault token lifecycle events. Default: console.warn. */
  log?: (message: string) => void;
  /** `production` refuses the local provider. Default: process.env.NODE_ENV. */
  nodeEnv?: string | undefined;
}

/** Vault transit when VAULT_ADDR is set, else the local file provider (printed as not for production). */
export function createKeyProvider(config: KeyProviderConfig, options: CreateKeyProviderOptions = {}): KeyProvider {
  const log = options.log ?? ((message: string) => console.warn(message));
  const nodeEnv = 'nodeEnv' in options ? options.nodeEnv : process.env.NODE_ENV;
  if (config.VAULT_ADDR) return new VaultKeyProvider(vaultOptions(config, log));
  if (nodeEnv === 'production') {
    // A production tokenizer with its key next to its data would pass every other check and protect nothing.
    throw new ConfigError(
      'invalid configuration: VAULT_ADDR must be set when NODE_ENV=production (the local key provider is not for production)',
    );
  }
  const provider = new LocalKeyProvider(
    config.TOKENIZER_LOCAL_KEK_FILE ? { file: config.TOKENIZER_LOCAL_KEK_FILE } : {},
  );
  log(`${LOCAL_KEY_PROVIDER_WARNING} Key file: ${provider.file}`);
  return provider;
}

function vaultOptions(config: KeyProviderConfig, log: (message: string) => void): VaultKeyProviderOptions {
  if (!config.VAULT_ROLE_ID)
    throw new ConfigError('invalid configuration: VAULT_ROLE_ID is required when VAULT_ADDR is set');
  if (!config.VAULT_SECRET_ID === !config.VAULT_SECRET_ID_FILE) {
    throw new ConfigError(
      'invalid configuration: exactly one of VAULT_SECRET_ID or VAULT_SECRET_ID_FILE is required when VAULT_ADDR is set',
    );
  }
  let caCert: string | undefined;
  if (config.VAULT_CACERT) {
    try {
      caCert = readFileSync(config.VAULT_CACERT, 'utf8');
    } catch {
      throw new ConfigError(`invalid configuration: VAULT_CACERT ${config.VAULT_CACERT} cannot be read`);
    }
  }
  return {
    addr: config.VAULT_ADDR as string,
    roleId: config.VAULT_ROLE_ID,
    ...(config.VAULT_SECRET_ID ? { secretId: config.VAULT_SECRET_ID } : {}),
    ...(config.VAULT_SECRET_ID_FILE ? { secretIdFile: config.VAULT_SECRET_ID_FILE } : {}),
    mount: config.VAULT_TRANSIT_MOUNT,
    key: config.VAULT_TRANSIT_KEY,
    ...(config.VAULT_NAMESPACE ? { namespace: config.VAULT_NAMESPACE } : {}),
    ...(caCert ? { caCert } : {}),
    log,
  };
}
