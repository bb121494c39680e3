import { readFileSync } from 'node:fs';
import envSchema from 'env-schema';
import type { Static, TSchema } from 'typebox';

/** Raised at boot when the environment does not match a service's config schema. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment against a TypeBox schema once, at boot.
 * Unknown variables are ignored (the process environment holds many); a bad or
 * missing one stops the service with a message that names the variable.
 * Every variable may instead be given as `<NAME>_FILE`, a path whose contents are the
 * value (compose secrets), so secrets never sit in the environment or in compose.yaml.
 */
export function loadConfig<T extends TSchema>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const data: Record<string, string> = {};
  const properties = (schema as unknown as { properties?: Record<string, unknown> }).properties ?? {};
  for (const key of Object.keys(properties)) {
    // A schema that declares `<NAME>_FILE` itself takes it as a path the service reads on its
    // own (VAULT_SECRET_ID_FILE, re-read after rotation): no indirection for NAME then.
    const indirect = `${key}_FILE` in properties ? undefined : env[`${key}_FILE`];
    const value = env[key] || readSecretFile(key, indirect);
    // An empty variable means "unset": that is how compose files and shells blank a value.
    if (value !== undefined && value !== '') data[key] = value;
  }
  try {
    return envSchema({ schema: structuredClone(schema) as object, data, env: false, dotenv: false }) as Static<T>;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`invalid configuration: ${detail.replaceAll('env/', '').replaceAll('/', '')}`);
  }
}

function readSecretFile(key: string, path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${key}_FILE cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}
