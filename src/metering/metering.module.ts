import { Inject, Module, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { GatewayMetrics } from '../platform/observability/gateway-metrics';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { Metrics } from '../platform/observability/metrics';
import { METRICS } from '../platform/observability/tokens';
import { Pool } from 'pg';
import { PG_POOL } from '../platform/database/database.module';
import { UsageBatcher } from './usage-batcher';
import { UsageIntents } from './usage-intents';

/**
 * Metering for the processes that serve /v1 (roles api and all): the UsageBatcher that stores
 * every request's charge by group commit, and UsageIntents, the durable intents that let
 * recovery charge a stream whose own charge was never stored. Shutdown writes every waiting charge: once when
 * shutdown starts, and again after the HTTP server has drained (requests finishing meanwhile
 * still record), after which it refuses new ones.
 */
@Module({
  providers: [
    {
      provide: UsageBatcher,
      inject: [EVENT_STORE, APP_CONFIG],
      useFactory: (store: EventStore, config: AppConfig) => new UsageBatcher(store, { maxBatch: config.metering.usageBatchMax, maxQueue: config.metering.usageQueueMax }),
    },
    {
      provide: UsageIntents,
      inject: [PG_POOL, APP_CONFIG],
      useFactory: (pool: Pool, config: AppConfig) => new UsageIntents(pool, { maxBatch: config.metering.usageBatchMax, maxQueue: config.metering.usageQueueMax }),
    },
  ],
  exports: [UsageBatcher, UsageIntents],
})
export class MeteringModule implements OnModuleDestroy, OnApplicationShutdown {
  constructor(
    private readonly batcher: UsageBatcher,
    private readonly intents: UsageIntents,
    @Inject(METRICS) metrics: Metrics,
    @Inject(GatewayMetrics) gateway: GatewayMetrics,
  ) {
    registerMetrics(metrics, batcher);
    batcher.onBatch((r) => {
      gateway.batchSize.observe(r.events);
      gateway.batchSeconds.observe(r.durationMs / 1000);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.flush();
    await this.intents.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher.stop();
  }
}

function registerMetrics(metrics: Metrics, batcher: UsageBatcher): void {
  const registers = [metrics.registry];
  const gauge = (name: string, help: string, read: (s: ReturnType<UsageBatcher['stats']>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(batcher.stats()));
      },
    });
  gauge('tollgate_usage_charges_waiting', 'Charges waiting for the next batch', (s) => s.waiting);
  gauge('tollgate_usage_charges_recorded', 'Charges stored by group commit since start', (s) => s.recorded);
  gauge('tollgate_usage_batches', 'Batches written since start (one event-store transaction each on PostgreSQL)', (s) => s.batches);
  gauge('tollgate_usage_batches_failed', 'Batches that failed since start (every charge in them was refused)', (s) => s.failedBatches);
  gauge('tollgate_usage_charges_refused', 'Charges refused at once because the queue was full (503 metering_overloaded)', (s) => s.refused);
}
