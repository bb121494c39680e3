import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Allowlist } from '../src/allowlist.js';

describe('Allowlist', () => {
  const allow = new Allowlist('API.Stripe.com:443,10.0.0.5:8443');

  it('[C-052] allows exactly a listed host:port, the host case-insensitively (PCI DSS 1.3.2)', () => {
    assert.deepEqual(allow.decide('api.stripe.com:443'), {
      verdict: 'allowed',
      target: { host: 'api.stripe.com', port: 443 },
      name: 'api.stripe.com:443',
    });
    assert.equal(allow.decide('API.STRIPE.COM:443').verdict, 'allowed');
    assert.equal(allow.decide('10.0.0.5:8443').verdict, 'allowed');
    assert.deepEqual(allow.entries, ['api.stripe.com:443', '10.0.0.5:8443']);
  });

  it('[C-052] denies another port, a suffix, a prefix, a parent or child domain, an unlisted IP literal (PCI DSS 1.3.2)', () => {
    for (const target of [
      'api.stripe.com:80',
      'api.stripe.com:8443',
      'stripe.com:443',
      'x.api.stripe.com:443',
      'api.stripe.com.evil.test:443',
      'evilapi.stripe.com:443',
      '10.0.0.5:443',
      '10.0.0.6:8443',
      '[::1]:443',
      '[::ffff:10.0.0.5]:8443',
    ]) {
      assert.equal(allow.decide(target).verdict, 'denied', target);
    }
  });

  it('[C-052] calls anything that is not host:port malformed (PCI DSS 1.3.2)', () => {
    for (const target of [
      '',
      'api.stripe.com',
      'api.stripe.com:',
      'api.stripe.com:0443',
      'api.stripe.com:443/',
      'https://api.stripe.com:443',
      'api.stripe.com:443 ',
      'api.stripe.com.:443',
      'api_stripe.com:443',
      `${'a'.repeat(254)}:443`,
    ]) {
      assert.equal(allow.decide(target).verdict, 'malformed', JSON.stringify(target));
    }
  });

  it('[C-052] refuses to build from a value that is not a list of host:port pairs (PCI DSS 1.3.2)', () => {
    assert.throws(() => new Allowlist('*.stripe.com:443'));
  });
});
