import { once } from 'node:events';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/config';

/** Client options every connection of ours sets; the rest keep ioredis's defaults. */
export type ClientOptions = Pick<RedisOptions, 'maxRetriesPerRequest' | 'enableOfflineQueue' | 'lazyConnect' | 'retryStrategy' | 'connectionName' | 'autoResubscribe'>;

/**
 * The one place a Redis connection is opened (the app's client, BullMQ's, the CLI's): a plain
 * client for one server, an ioredis Cluster when REDIS_URL lists cluster nodes.
 *
 * It is typed as `Redis` on purpose: a Cluster takes the same commands, scripts, MULTI and
 * pub/sub, and the code using it is written for both (every script and MULTI stays in one hash
 * slot: docs/operations.md, "Redis Cluster"). What differs is confined to this file: duplicate()
 * and the per-primary helpers below. Code needing a plain client's internals checks `isCluster`.
 */
export function createRedisClient(config: Pick<AppConfig, 'redisUrl' | 'redisCluster'>, options: ClientOptions): Redis {
  const cluster = config.redisCluster;
  if (!cluster) return new Redis(config.redisUrl, options);
  const { enableOfflineQueue, lazyConnect, retryStrategy, ...perNode } = options;
  return new Cluster(cluster.nodes, {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    redisOptions: {
      ...perNode,
      ...(cluster.username ? { username: cluster.username } : {}),
      ...(cluster.password ? { password: cluster.password } : {}),
      ...(cluster.tls ? { tls: {} } : {}),
    },
  }) as unknown as Redis;
}

export function isCluster(redis: Redis | Cluster): redis is Redis & { isCluster: true } {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** A new connection to the same server or cluster (a subscriber, a blocking connection), with other options. */
export function duplicateClient(redis: Redis, options: ClientOptions): Redis {
  if (!isCluster(redis)) return redis.duplicate(options);
  const cluster = redis as unknown as Cluster;
  const { enableOfflineQueue, lazyConnect, retryStrategy, ...perNode } = options;
  return cluster.duplicate(undefined, {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    redisOptions: { ...cluster.options.redisOptions, ...perNode },
  }) as unknown as Redis;
}

/**
 * The connections to each primary (a cluster), or the client itself (one server): commands that
 * act on a whole server (SCAN, FLUSHDB, INFO) must run on every primary of a cluster.
 */
export async function primaries(redis: Redis): Promise<Redis[]> {
  if (!isCluster(redis)) return [redis];
  if (redis.status !== 'ready') await once(redis, 'ready', { signal: AbortSignal.timeout(5_000) });
  return (redis as unknown as Cluster).nodes('master');
}
