// ASVS 5.1.5: the `next` parameter of the login and signup pages cannot send a shopper to
// another site after they typed their password (open redirect used for phishing).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeNextPath } from '../../../src/pages/next-path.js';

describe('safeNextPath', () => {
  it('keeps a local path, with its query', () => {
    assert.equal(safeNextPath('/checkout'), '/checkout');
    assert.equal(safeNextPath('/account/orders/1?x=2'), '/account/orders/1?x=2');
  });

  it('refuses every form of another origin and falls back to the account page', () => {
    for (const next of [
      'https://evil.example/login',
      '//evil.example/login',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      'evil.example',
      '',
      null,
    ]) {
      assert.equal(safeNextPath(next), '/account', String(next));
    }
  });
});
