import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { AppConfig } from '../config/config';
import { createRedisClient, isCluster } from '../redis/redis-client';

/**
 * On a Redis Cluster, BullMQ's scripts touch several keys of a queue, so every key of a queue
 * must hash to one slot: the prefix goes in braces (BullMQ docs, "Redis Cluster"). One server
 * keeps the prefix as it was, so existing queues and jobs stay where they are.
 */
export const bullPrefix = (config: Pick<AppConfig, 'redisCluster'>, prefix: string) => (config.redisCluster ? `{${prefix}}` : prefix);

/**
 * BullMQ queues of payments and mail live under the deployment's Redis prefix, so parallel test
 * apps and deployments sharing a Redis never share jobs.
 */
export const queuePrefix = (config: AppConfig) => bullPrefix(config, `${config.redisKeyPrefix}bull`);

/**
 * One server: options, and BullMQ opens (and closes) its own connections. A cluster: BullMQ
 * needs a Cluster instance, which it shares and never closes: closeQueueConnection() does.
 */
export const queueConnection = (config: AppConfig) => (config.redisCluster ? createRedisClient(config, { maxRetriesPerRequest: null }) : { url: config.redisUrl });

/** After `queue.close()` / `worker.close()`: quits the Cluster connection queueConnection() opened for it, if any. */
export async function closeQueueConnection(owner: Queue | Worker): Promise<void> {
  const connection = owner.opts.connection as unknown as Redis;
  if (connection && typeof connection === 'object' && 'status' in connection && isCluster(connection)) await connection.quit().catch(() => connection.disconnect());
}
