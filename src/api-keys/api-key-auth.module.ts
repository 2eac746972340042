import { Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { KYSELY, PG_POOL } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { Logger } from '../platform/observability/logger';
import { Metrics } from '../platform/observability/metrics';
import { LOGGER, METRICS } from '../platform/observability/tokens';
import { REDIS } from '../platform/redis/redis.module';
import { ApiKeyAuthenticator, AuthenticatorOptions } from './api-key-authenticator';
import { ApiKeysModule } from './api-keys.module';
import { ApiKeysService } from './api-keys.service';
import { StoredKeyLookup } from './key-lookup';
import { lastUsedWriter } from './key-usage';
import { duplicateClient } from '../platform/redis/redis-client';

let subscriberCount = 0;

/** Wires the framework-free authenticator to this process's pool, event store and Redis (also used by the benchmark). */
export function createApiKeyAuthenticator(
  deps: { pool: Pool; db: Kysely<Database>; store: EventStore; redis: Redis; hashKey(fullKey: string): string; logger: Logger },
  options: Partial<AuthenticatorOptions> = {},
): ApiKeyAuthenticator {
  const subscriber = duplicateClient(deps.redis, {
    lazyConnect: true,
    autoResubscribe: false, // the listener resubscribes itself, to know when it is receiving again
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    connectionName: `tollgate-key-invalidation-${process.pid}-${++subscriberCount}`,
  });
  return new ApiKeyAuthenticator(
    {
      lookup: new StoredKeyLookup(deps.pool, deps.store, deps.redis),
      hashKey: deps.hashKey,
      writeLastUsed: lastUsedWriter(deps.db),
      subscriber,
      logger: deps.logger,
    },
    options,
  );
}

/**
 * The /v1 key check for API processes: listens for invalidations from boot, and on shutdown
 * (after the HTTP server has drained, before the global pools close) stops listening and writes
 * the last "last used" times.
 */
@Module({
  imports: [ApiKeysModule],
  providers: [
    {
      provide: ApiKeyAuthenticator,
      inject: [PG_POOL, KYSELY, EVENT_STORE, REDIS, ApiKeysService, LOGGER],
      useFactory: (pool: Pool, db: Kysely<Database>, store: EventStore, redis: Redis, keys: ApiKeysService, logger: Logger) =>
        createApiKeyAuthenticator({ pool, db, store, redis, hashKey: (key) => keys.hashKey(key), logger: logger.child({ component: 'api-keys' }) }),
    },
  ],
  exports: [ApiKeyAuthenticator],
})
export class ApiKeyAuthModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    @Inject(METRICS) metrics: Metrics,
  ) {
    registerMetrics(metrics, authenticator);
  }

  onApplicationBootstrap(): void {
    this.authenticator.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.authenticator.close();
  }
}

function registerMetrics(metrics: Metrics, authenticator: ApiKeyAuthenticator): void {
  const registers = [metrics.registry];
  const gauge = (name: string, help: string, read: (s: ReturnType<ApiKeyAuthenticator['status']>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(authenticator.status()));
      },
    });
  gauge('tollgate_api_key_cache_entries', 'Verified API keys held in memory by this instance', (s) => s.cachedKeys);
  gauge('tollgate_api_key_cache_hits', 'Key checks answered from memory since start', (s) => s.hits);
  gauge('tollgate_api_key_lookups', 'Key checks that went to PostgreSQL and Redis since start', (s) => s.lookups);
  gauge('tollgate_api_key_invalidations_listening', '1 while this instance receives key revocations; 0 = keys re-checked every 0.5 s', (s) => (s.listening ? 1 : 0));
}
