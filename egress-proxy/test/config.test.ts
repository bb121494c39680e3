import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@shop/shared/config';
import { loadEgressConfig } from '../src/config.js';

describe('egress proxy configuration', () => {
  it('[C-052] refuses to start without EGRESS_ALLOW, naming the variable (PCI DSS 1.3.2)', () => {
    assert.throws(
      () => loadEgressConfig({}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /EGRESS_ALLOW/);
        return true;
      },
    );
    assert.throws(() => loadEgressConfig({ EGRESS_ALLOW: '' }), /EGRESS_ALLOW/);
  });

  it('[C-052] refuses an EGRESS_ALLOW with a wildcard, a scheme, a path, a missing or out-of-range port, or spaces (PCI DSS 1.3.2)', () => {
    for (const value of [
      '*.stripe.com:443',
      'stripe.com',
      'https://api.stripe.com:443',
      'api.stripe.com:443/v1',
      'api.stripe.com:0',
      'api.stripe.com:65536',
      'api.stripe.com:0443',
      'api.stripe.com:443-444',
      'api.stripe.com:443, files.stripe.com:443',
      'api.stripe.com:443,',
      '[::1]:443',
      '.stripe.com:443',
      'user@api.stripe.com:443',
    ]) {
      assert.throws(() => loadEgressConfig({ EGRESS_ALLOW: value }), /EGRESS_ALLOW/, value);
    }
  });

  it('[C-052] takes a list of host:port pairs and has the documented defaults (PCI DSS 1.3.2)', () => {
    const config = loadEgressConfig({ EGRESS_ALLOW: 'api.stripe.com:443,files.stripe.com:443,10.0.0.5:8443' });
    assert.equal(config.EGRESS_ALLOW, 'api.stripe.com:443,files.stripe.com:443,10.0.0.5:8443');
    assert.equal(config.EGRESS_HOST, '127.0.0.1');
    assert.equal(config.EGRESS_PORT, 3128);
    assert.equal(config.EGRESS_CONNECT_TIMEOUT_MS, 5_000);
    assert.equal(config.EGRESS_IDLE_TIMEOUT_MS, 60_000);
    assert.equal(config.EGRESS_MAX_TUNNELS, 256);
    assert.throws(() => loadEgressConfig({ EGRESS_ALLOW: 'a.test:1', EGRESS_MAX_TUNNELS: '0' }), /EGRESS_MAX_TUNNELS/);
  });
});
