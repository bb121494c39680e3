import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyCache } from '../../src/crypto/key-cache.js';

// Unwrapped keys stay in memory for a bounded time and number of uses, and are wiped
// (zero-filled) when they leave (PCI DSS v4.0.1 3.6.1: keys in the fewest places and forms).

describe('KeyCache', () => {
  it('loads a key once for many concurrent users and wipes it after its use count', async () => {
    let loads = 0;
    const key = randomBytes(32);
    const cache = new KeyCache({ ttlMs: 60_000, maxUses: 5, maxEntries: 10 });
    const loader = async () => {
      loads++;
      return key;
    };
    const seen = await Promise.all(Array.from({ length: 5 }, () => cache.use('k', loader, (k) => k.toString('hex'))));
    assert.equal(loads, 1);
    assert.ok(seen.every((s) => s !== '00'.repeat(32)));
    assert.ok(key.equals(Buffer.alloc(32)), 'wiped after the fifth use');
    await cache.use(
      'k',
      async () => randomBytes(32),
      () => undefined,
    );
    cache.close();
  });

  it('wipes a key when its lifetime ends and loads it again on the next use', async () => {
    let now = 0;
    const first = randomBytes(32);
    const cache = new KeyCache({ ttlMs: 1000, maxUses: 1000, maxEntries: 10, now: () => now });
    await cache.use(
      'k',
      async () => first,
      () => undefined,
    );
    now = 1001;
    let reloaded = false;
    await cache.use(
      'k',
      async () => {
        reloaded = true;
        return randomBytes(32);
      },
      () => undefined,
    );
    assert.ok(reloaded);
    assert.ok(first.equals(Buffer.alloc(32)));
    cache.close();
  });

  it('evicts and wipes the oldest key beyond its size bound, and wipes everything on close', async () => {
    const cache = new KeyCache({ ttlMs: 60_000, maxUses: 1000, maxEntries: 2 });
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    for (const [i, k] of keys.entries())
      await cache.use(
        `k${i}`,
        async () => k,
        () => undefined,
      );
    assert.equal(cache.size, 2);
    assert.ok(keys[0]?.equals(Buffer.alloc(32)));
    assert.ok(!keys[2]?.equals(Buffer.alloc(32)));
    cache.close();
    assert.ok(keys.every((k) => k.equals(Buffer.alloc(32))));
  });

  it('does not cache a failed load', async () => {
    const cache = new KeyCache({ ttlMs: 60_000, maxUses: 10, maxEntries: 10 });
    await assert.rejects(
      cache.use(
        'k',
        async () => Promise.reject(new Error('sealed')),
        () => undefined,
      ),
      /sealed/,
    );
    const v = await cache.use(
      'k',
      async () => Buffer.alloc(32, 7),
      (k) => k[0],
    );
    assert.equal(v, 7);
    cache.close();
  });
});
