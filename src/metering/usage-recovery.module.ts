import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { RepeatableJob } from '../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { PG_POOL } from '../platform/database/database.module';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { LedgerModule } from '../ledger/ledger.module';
import { CreditHolds } from '../ledger/spending/credit-holds';
import { Logger } from '../platform/observability/logger';
import { Metrics } from '../platform/observability/metrics';
import { LOGGER, METRICS } from '../platform/observability/tokens';
import { DISCREPANCY_EVENTS, DiscrepancyEvents } from './usage-discrepancies';
import { UsageRecovery } from './usage-recovery';

/**
 * Recovery of charges from durable intents, in every process that serves or works (api, worker,
 * all): one run when the process starts, so a restarted API instance charges what it delivered
 * before it died. Workers also run it on a schedule (UsageRecoverySweepModule).
 */
@Module({
  imports: [LedgerModule],
  providers: [
    {
      provide: UsageRecovery,
      inject: [PG_POOL, EVENT_STORE, CreditHolds, DISCREPANCY_EVENTS, LOGGER],
      useFactory: (pool: Pool, store: EventStore, holds: CreditHolds, discrepancyItems: DiscrepancyEvents, logger: Logger) =>
        new UsageRecovery(pool, store, holds, discrepancyItems, logger.child({ component: 'usage-recovery' })),
    },
  ],
  exports: [UsageRecovery],
})
export class UsageRecoveryModule implements OnApplicationBootstrap {
  constructor(
    private readonly recovery: UsageRecovery,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Metrics,
  ) {
    const registers = [metrics.registry];
    const gauge = (name: string, help: string, read: (s: ReturnType<UsageRecovery['stats']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(recovery.stats()));
        },
      });
    gauge('tollgate_usage_charges_recovered', 'Charges this process stored from durable intents since start', (s) => s.recovered);
    gauge('tollgate_usage_recovery_failures', 'Intents whose recovery failed since start (retried on the next run)', (s) => s.failed);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.recovery
      .runOnce()
      .catch((err: Error) => this.logger.error({ err: { name: err.name, message: err.message } }, 'charge recovery at start failed; workers retry on schedule'));
  }
}

/** Worker processes only (`worker`, `all`): recovery every USAGE_RECOVERY_INTERVAL_MS, one worker at a time. */
@Module({ imports: [UsageRecoveryModule] })
export class UsageRecoverySweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly recovery: UsageRecovery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'usage-recovery',
      label: 'charge recovery',
      schedule: { everyMs: this.config.charges.recoveryIntervalMs },
      run: () => this.recovery.runOnce(),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
