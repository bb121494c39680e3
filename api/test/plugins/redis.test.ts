import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, TEST_REDIS_URL } from '@shop/shared/test-harness';
import type { FastifyError } from 'fastify';
import { mapDependencyError } from '../../src/plugins/db.js';
import { createRedisClient } from '../../src/plugins/redis.js';
import { requireRedis } from '../helper.js';

const UNAVAILABLE = { status: 503, code: 'rate_limit_unavailable', message: 'Temporarily unavailable, retry later' };

async function rejection(op: () => Promise<unknown>): Promise<FastifyError> {
  try {
    await op();
  } catch (err) {
    return err as FastifyError;
  }
  throw new Error('the command succeeded');
}

describe('Redis errors in the error model (fail-closed rate limits, ASVS 2.2.1)', () => {
  it('maps what ioredis rejects a command with when Redis is down to 503 rate_limit_unavailable', async (t) => {
    // Nothing listens there: with the offline queue off, the command fails at once.
    const down = createRedisClient(`redis://127.0.0.1:${await freePort()}`);
    down.on('error', () => undefined);
    t.after(() => down.disconnect());
    await down.connect().catch(() => undefined);
    const err = await rejection(() => down.incr('k'));
    assert.deepEqual(mapDependencyError(err), UNAVAILABLE, err.message);
  });

  it('maps an error reply of a reachable Redis to the same 503, never a 500', async (t) => {
    await requireRedis();
    const redis = createRedisClient(TEST_REDIS_URL);
    t.after(() => redis.disconnect());
    await redis.connect();
    const err = await rejection(() => redis.call('NO-SUCH-COMMAND'));
    assert.deepEqual(mapDependencyError(err), UNAVAILABLE, err.message);
  });

  it('leaves other errors to the rest of the error model', () => {
    assert.equal(mapDependencyError(new Error('boom') as FastifyError), undefined);
  });
});
