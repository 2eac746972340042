import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/config';
import { KYSELY, PG_POOL } from '../database/database.module';
import { Database } from '../database/schema';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { Logger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { LOGGER, METRICS } from '../observability/tokens';
import { ProjectionRunner } from './projection-runner';
import { Projector } from './projector';

export const PROJECTION_RUNNER = Symbol('ProjectionRunner');

/**
 * Runs the read-model projections in worker processes (`npm start` and `start:worker`). The
 * projectors are given by the composition root (src/read-models.ts): the runtime knows no module.
 */
@Module({})
export class ProjectionRuntimeModule implements OnApplicationBootstrap, OnModuleDestroy {
  static forRoot(projectors: readonly Projector[]): DynamicModule {
    return {
      module: ProjectionRuntimeModule,
      providers: [
        {
          provide: PROJECTION_RUNNER,
          inject: [KYSELY, PG_POOL, EVENT_STORE, LOGGER, APP_CONFIG],
          useFactory: (db: Kysely<Database>, pool: Pool, store: EventStore, logger: Logger, config: AppConfig) =>
            new ProjectionRunner(db, pool, store, projectors, logger.child({ component: 'projections' }), { batchMax: config.projectionBatchMax }),
        },
      ],
      exports: [PROJECTION_RUNNER],
    };
  }

  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(METRICS) metrics: Metrics,
  ) {
    registerRunnerMetrics(metrics, runner);
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  /** Stop before the database closes: the current batch commits or rolls back, never half-applied. */
  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }
}

function registerRunnerMetrics(metrics: Metrics, runner: ProjectionRunner): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'tollgate_projection_lag_seconds',
    help: 'Age of the last applied event while the read models are behind the head of $all; 0 when caught up',
    registers,
    async collect() {
      this.set((await runner.lag()).seconds);
    },
  });
  new Gauge({
    name: 'tollgate_projection_events_applied',
    help: 'Events applied by this process since it started',
    registers,
    collect() {
      this.set(runner.status().eventsApplied);
    },
  });
  new Gauge({
    name: 'tollgate_projection_retries',
    help: 'Times the runner failed and retried with backoff since it started',
    registers,
    collect() {
      this.set(runner.status().retries);
    },
  });
}
