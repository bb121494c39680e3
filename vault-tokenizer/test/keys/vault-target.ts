import { readFileSync } from 'node:fs';
import { VaultKeyProvider, type VaultKeyProviderOptions } from '../../src/keys/vault-key-provider.js';
import { SEALED_FAULTS, VaultFaultProxy } from '../vault-double/fault-proxy.js';
import { VaultDouble, type VaultDoubleOptions } from '../vault-double/vault-double.js';

/**
 * Where the Vault tests run: a real Vault when VAULT_ADDR, VAULT_ROLE_ID and VAULT_SECRET_ID
 * (or VAULT_SECRET_ID_FILE) are set, else the documented test double. Either way the
 * provider talks through a fault proxy, so the same fault tests (transient 5xx, sealed,
 * permission denied) run against both without changing a real Vault's state.
 *
 * For a real Vault, use a dedicated test key and a test role with short token TTLs:
 *   TRANSIT_KEY=tokenizer-kek-test TOKEN_TTL=2s TOKEN_MAX_TTL=5s vault/setup-approle.sh
 * (the contract tests rotate the key and raise its min_decryption_version).
 */
export interface VaultTarget {
  mode: 'real Vault' | 'Vault double';
  proxy: VaultFaultProxy;
  double: VaultDouble | undefined;
  roleId: string;
  secretId: string;
  mount: string;
  key: string;
  namespace: string | undefined;
  /** The token TTL the role grants, seen on a probe login (seconds). */
  tokenTtl: number;
  seal(): void;
  unseal(): void;
  deny(): void;
  allow(): void;
  provider(overrides?: Partial<VaultKeyProviderOptions>): VaultKeyProvider;
  close(): Promise<void>;
}

const env = process.env;

export function realVaultConfigured(): boolean {
  if (!env.VAULT_ADDR) return false;
  if (!env.VAULT_ROLE_ID || !(env.VAULT_SECRET_ID || env.VAULT_SECRET_ID_FILE)) {
    throw new Error(
      'VAULT_ADDR is set but VAULT_ROLE_ID and VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE) are not: ' +
        'set them for a test role (see vault/README.md), or unset VAULT_ADDR to test against the Vault double.',
    );
  }
  return true;
}

export async function openVaultTarget(options: VaultDoubleOptions = {}): Promise<VaultTarget> {
  const real = realVaultConfigured();
  let double: VaultDouble | undefined;
  let upstream: string;
  let roleId: string;
  let secretId: string;
  let mount: string;
  let key: string;
  let namespace: string | undefined;
  if (real) {
    upstream = env.VAULT_ADDR as string;
    roleId = env.VAULT_ROLE_ID as string;
    secretId = env.VAULT_SECRET_ID ?? readFileSync(env.VAULT_SECRET_ID_FILE as string, 'utf8').trim();
    mount = env.VAULT_TRANSIT_MOUNT ?? 'transit';
    key = env.VAULT_TRANSIT_KEY ?? 'tokenizer-kek';
    namespace = env.VAULT_NAMESPACE;
  } else {
    double = new VaultDouble(options);
    upstream = await double.start();
    roleId = double.roleId;
    secretId = double.secretId;
    mount = double.mount;
    key = double.key;
  }
  const proxy = new VaultFaultProxy(upstream, env.VAULT_CACERT ? readFileSync(env.VAULT_CACERT, 'utf8') : undefined);
  await proxy.start();
  const tokenTtl = await probeTokenTtl(upstream, roleId, secretId, namespace, proxy);
  const denied = { path: new RegExp(`^/v1/${mount}/`), status: 403, body: { errors: ['permission denied'] } };
  const providers: VaultKeyProvider[] = [];

  return {
    mode: real ? 'real Vault' : 'Vault double',
    proxy,
    double,
    roleId,
    secretId,
    mount,
    key,
    namespace,
    tokenTtl,
    seal() {
      if (double) double.sealed = true;
      else proxy.inject(...SEALED_FAULTS);
    },
    unseal() {
      if (double) double.sealed = false;
      else proxy.clear();
    },
    deny() {
      if (double) double.permissionDenied = true;
      else proxy.inject({ ...denied, times: Number.POSITIVE_INFINITY });
    },
    allow() {
      if (double) double.permissionDenied = false;
      else proxy.clear();
    },
    provider(overrides = {}) {
      const provider = new VaultKeyProvider({
        addr: proxy.url,
        roleId,
        secretId,
        mount,
        key,
        ...(namespace ? { namespace } : {}),
        requestTimeoutMs: 2000,
        retry: { baseDelayMs: 20, maxDelayMs: 100, attempts: 4, budgetMs: 3000 },
        ...overrides,
      });
      providers.push(provider);
      return provider;
    },
    async close() {
      await Promise.all(providers.map((p) => p.close()));
      await proxy.stop();
      await double?.stop();
    },
  };
}

/** One AppRole login made by the test itself, to learn the TTL the role grants. */
async function probeTokenTtl(
  upstream: string,
  roleId: string,
  secretId: string,
  namespace: string | undefined,
  proxy: VaultFaultProxy,
): Promise<number> {
  let response: Response;
  try {
    response = await fetch(`${upstream}/v1/auth/approle/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(namespace ? { 'x-vault-namespace': namespace } : {}) },
      body: JSON.stringify({ role_id: roleId, secret_id: secretId }),
    });
  } catch (err) {
    await proxy.stop();
    throw new Error(`Vault is not reachable at ${upstream} (${(err as Error).message}): start it or unset VAULT_ADDR`);
  }
  const body = (await response.json()) as { auth?: { lease_duration?: number } };
  if (!response.ok || typeof body.auth?.lease_duration !== 'number') {
    await proxy.stop();
    throw new Error(`AppRole login at ${upstream} failed with ${response.status}: check VAULT_ROLE_ID/VAULT_SECRET_ID`);
  }
  return body.auth.lease_duration;
}
