import { createRedisClient } from '../../src/plugins/redis.js';

/**
 * Deletes every key under `prefix`: a test's or a bench's own sessions and rate-limit
 * counters, never anyone else's (the Redis server is shared). Throws when Redis cannot be
 * reached; callers that clean up on a best-effort basis catch it (the keys expire anyway).
 */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = createRedisClient(url);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
