import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { once } from 'node:events';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { createRedisClient } from './redis-client';

export const REDIS = Symbol('Redis');
const REDIS_CONNECT_WAIT_MS = 3_000;

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      // Fail commands fast while Redis is down instead of queueing them without bound.
      useFactory: (c: AppConfig) => createRedisClient(c, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false }),
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {
    // Connection errors are reported by readiness; ioredis reconnects on its own.
    redis.on('error', () => undefined);
  }

  /**
   * Commands fail fast until the first connection is up (no offline queue), so boot waits for it,
   * briefly: a Redis that is down (an 'error' ends the wait at once) or slow does not stop the boot;
   * /health/ready reports it until it is back.
   */
  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await once(this.redis, 'ready', { signal: AbortSignal.timeout(REDIS_CONNECT_WAIT_MS) }).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
