import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@shop/shared/config';
import { loadApiConfig, trustedProxies } from '../src/config.js';

describe('api configuration', () => {
  it('starts on embedded defaults with no environment at all', () => {
    const config = loadApiConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.HOST, '127.0.0.1');
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.REDIS_URL, undefined);
    assert.deepEqual(trustedProxies(config), []);
  });

  it('refuses a bad value with a message naming the variable', () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['DATABASE_URL', 'mysql://x'],
      ['REDIS_URL', 'http://x'],
      ['RATE_LIMIT_LOGIN_MAX', '0'],
    ] as const) {
      assert.throws(
        () => loadApiConfig({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(name),
        name,
      );
    }
  });

  it('parses TRUSTED_PROXIES into a list (never `true`)', () => {
    assert.deepEqual(trustedProxies(loadApiConfig({ TRUSTED_PROXIES: ' 10.0.0.1, 10.1.0.0/16 ,' })), [
      '10.0.0.1',
      '10.1.0.0/16',
    ]);
  });
});
