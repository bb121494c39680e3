import { pathToFileURL } from 'node:url';
import { loggerOptions } from '@shop/shared/logger-options';
import closeWithGrace from 'close-with-grace';
import pino, { type Logger } from 'pino';
import { Allowlist } from './allowlist.js';
import { type EgressConfig, loadEgressConfig } from './config.js';
import { createEgressProxy, type EgressProxy } from './proxy.js';

/** The proxy built from its config and listening; `close` stops it. */
export async function startEgressProxy(config: EgressConfig, deps: { log: Logger }): Promise<EgressProxy> {
  const allow = new Allowlist(config.EGRESS_ALLOW);
  const proxy = createEgressProxy(
    {
      allow,
      connectTimeoutMs: config.EGRESS_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: config.EGRESS_IDLE_TIMEOUT_MS,
      maxTunnels: config.EGRESS_MAX_TUNNELS,
    },
    deps,
  );
  const address = await proxy.listen(config.EGRESS_PORT, config.EGRESS_HOST);
  // The allowlist in force, at every start: what an assessor compares with the network diagram.
  deps.log.info(
    { event: 'egress.listening', port: address.port, allowed: [...allow.entries] },
    'egress proxy listening',
  );
  return proxy;
}

async function main(): Promise<void> {
  const config = loadEgressConfig();
  const log = pino(loggerOptions({ service: 'egress-proxy', level: config.LOG_LEVEL }));
  const proxy = await startEgressProxy(config, { log });
  // Open tunnels get 5 s to finish (a Stripe call takes well under that); the rest are cut.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'egress proxy failing');
    log.info({ signal }, 'egress proxy stopping');
    await proxy.close(5_000);
    log.info('egress proxy stopped');
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    // Configuration errors name the variable; nothing else is printed.
    console.error(`egress-proxy failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
