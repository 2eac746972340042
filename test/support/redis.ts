import Redis from 'ioredis';
import { parseRedisCluster } from '../../src/platform/config/redis-url';
import { ClientOptions, createRedisClient, primaries } from '../../src/platform/redis/redis-client';
import { TEST_REDIS_URL } from './database';

/** The test Redis as the app sees it: one server, or a cluster (`npm run test:cluster` sets TEST_REDIS_URL to one). */
export const TEST_REDIS = (() => {
  const cluster = parseRedisCluster(TEST_REDIS_URL);
  if (typeof cluster === 'string') throw new Error(cluster);
  return { redisUrl: TEST_REDIS_URL, redisCluster: cluster };
})();

export const testRedisIsCluster = TEST_REDIS.redisCluster !== null;

/** A connection to the test Redis, made by the app's own factory. */
export function openTestRedis(options: ClientOptions = {}): Redis {
  return createRedisClient(TEST_REDIS, options);
}

/** Deletes the keys matching `pattern` on every primary (SCAN is per server). */
export async function deleteTestKeys(pattern: string): Promise<void> {
  const redis = openTestRedis({ maxRetriesPerRequest: 1 });
  try {
    for (const node of await primaries(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        // One DEL a key: keys found on one primary may still be in different slots.
        await Promise.all(keys.map((key) => node.del(key)));
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
