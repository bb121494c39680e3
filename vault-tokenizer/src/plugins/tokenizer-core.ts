import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AuditLog } from '../audit/audit-log.js';
import { KeyCache, type KeyCacheOptions } from '../crypto/key-cache.js';
import { KeyRing } from '../crypto/key-ring.js';
import type { RuntimeDatabase } from '../db/database.js';
import type { KeyProvider } from '../keys/key-provider.js';
import type { Policy } from '../policy/policy.js';
import { HourlyQuota } from '../quotas/hourly-quota.js';
import { TokenService } from '../tokens/token-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    tokenizer: {
      tokens: TokenService;
      keys: KeyRing;
      audit: AuditLog;
      policy: Policy;
      quota: HourlyQuota;
      database: RuntimeDatabase;
      provider: KeyProvider;
    };
  }
}

export interface TokenizerCoreOptions {
  database: RuntimeDatabase;
  provider: KeyProvider;
  policy: Policy;
  keyCache: KeyCacheOptions;
}

/** Wires storage, the key hierarchy, the audit trail, the policy and its hourly bounds; closes them with the app. */
export const tokenizerCore = fp(
  async (app: FastifyInstance, opts: TokenizerCoreOptions) => {
    const cache = new KeyCache(opts.keyCache);
    const keys = new KeyRing(opts.database.db, opts.provider, cache);
    app.decorate('tokenizer', {
      tokens: new TokenService(opts.database.db, opts.database.pool, keys),
      keys,
      audit: new AuditLog(opts.database.pool, app.log, opts.policy.version),
      policy: opts.policy,
      quota: new HourlyQuota(opts.database.pool),
      database: opts.database,
      provider: opts.provider,
    });
    app.addHook('onClose', async () => {
      // Wipe every unwrapped key before the process lets go of its memory.
      cache.close();
      await opts.provider.close();
      await opts.database.close();
    });
  },
  { name: 'tokenizer-core', fastify: '5.x' },
);
