import { loadConfig } from '@shop/shared/config';
import Type, { type Static } from 'typebox';
import { ALLOWLIST_PATTERN } from './allowlist.js';

/**
 * The egress proxy's environment, validated once at boot. `EGRESS_ALLOW` has no default: a
 * proxy that does not know where the shop may go refuses to start rather than guess.
 */
export const EgressConfigSchema = Type.Object({
  // Where the proxy listens. In compose it is the container's own address on the `egress`
  // network; the default keeps a development proxy off every other interface.
  EGRESS_HOST: Type.String({ default: '127.0.0.1', pattern: '^[A-Za-z0-9.:-]{1,253}$' }),
  EGRESS_PORT: Type.Integer({ minimum: 1, maximum: 65_535, default: 3128 }),
  // The only destinations (PCI DSS 1.3.2, 1.4.x), e.g. `api.stripe.com:443`.
  EGRESS_ALLOW: Type.String({ pattern: ALLOWLIST_PATTERN, maxLength: 4000 }),
  // Upstream connection (DNS included) must be up within this, else 504.
  EGRESS_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  // A tunnel with no byte either way for this long is closed.
  EGRESS_IDLE_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 60_000 }),
  // Tunnels open at once (connecting or established); past it, 503.
  EGRESS_MAX_TUNNELS: Type.Integer({ minimum: 1, maximum: 10_000, default: 256 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type EgressConfig = Static<typeof EgressConfigSchema>;

export function loadEgressConfig(env: Record<string, string | undefined> = process.env): EgressConfig {
  return loadConfig(EgressConfigSchema, env);
}
