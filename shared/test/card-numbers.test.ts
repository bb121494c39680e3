import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsCardNumber, luhnValid, maskCardNumbers, valueContainsCardNumber } from '../src/card-numbers.js';

describe('card number detection (PCI DSS v4.0.1 3.3)', () => {
  it('recognises Luhn-valid test PANs of 13 to 19 digits, with or without separators', () => {
    for (const pan of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '5555-5555-5555-4444',
      '378282246310005',
      '4222222222222',
    ]) {
      assert.equal(containsCardNumber(`card ${pan} here`), true, pan);
    }
  });
  it('ignores numbers that fail Luhn or have the wrong length', () => {
    assert.equal(luhnValid('4242424242424241'), false);
    assert.equal(containsCardNumber('order 4242424242424241'), false);
    assert.equal(containsCardNumber('id 123456789012'), false);
  });
  it('finds a PAN nested anywhere in a JSON value, including as a number', () => {
    assert.equal(valueContainsCardNumber({ a: [{ b: 'x' }, { c: 4242424242424242 }] }), true);
    assert.equal(valueContainsCardNumber({ a: [{ b: 'x' }, { c: 42 }] }), false);
  });
  it('masks PANs in text and leaves other digits alone', () => {
    assert.equal(maskCardNumbers('pay 4242424242424242 order 17'), 'pay [PAN REDACTED] order 17');
  });
});
