import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, spawnService } from '@shop/shared/test-harness';
import { sendToProxy } from './helper.js';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

function start(env: Record<string, string>) {
  return spawnService(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('egress-proxy server', () => {
  it('[C-052] starts with its allowlist logged, refuses what is not listed, and stops on SIGTERM (PCI DSS 1.3.2)', async (t) => {
    const port = await freePort();
    const service = start({ EGRESS_ALLOW: 'api.stripe.com:443', EGRESS_PORT: String(port) });
    t.after(() => {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    });
    await service.waitForOutput(/egress proxy listening/, 30_000);
    assert.match(service.output(), /"allowed":\["api\.stripe\.com:443"\]/);
    const refused = await sendToProxy(port, 'CONNECT example.com:443 HTTP/1.1\r\n\r\n');
    assert.equal(refused.status, 403);
    refused.socket.destroy();
    service.child.kill('SIGTERM');
    assert.equal(await service.exited(), 0, service.output());
    assert.match(service.output(), /egress proxy stopped/);
  });

  it('[C-052] does not start without EGRESS_ALLOW and says which variable is missing (PCI DSS 1.3.2)', async () => {
    const service = start({});
    assert.equal(await service.exited(), 1);
    assert.match(service.output(), /egress-proxy failed to start: invalid configuration: .*EGRESS_ALLOW/);
  });
});
