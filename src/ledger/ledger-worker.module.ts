import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { KYSELY, PG_POOL } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { Logger } from '../platform/observability/logger';
import { Metrics } from '../platform/observability/metrics';
import { LOGGER, METRICS } from '../platform/observability/tokens';
import { LedgerModule } from './ledger.module';
import { BalanceFeeder } from './spending/balance-feeder';
import { CreditHolds } from './spending/credit-holds';
import { USAGE_MONEY_EVENTS, UsageMoneyEvents } from './spending/usage-money-events';

/** Worker processes keep the Redis balances fed from the event store. */
@Module({
  imports: [LedgerModule],
  providers: [
    {
      provide: BalanceFeeder,
      inject: [EVENT_STORE, CreditHolds, USAGE_MONEY_EVENTS, KYSELY, PG_POOL, LOGGER],
      useFactory: (store: EventStore, holds: CreditHolds, usage: UsageMoneyEvents, db: Kysely<Database>, pool: Pool, logger: Logger) =>
        new BalanceFeeder(store, holds, usage, db, pool, logger.child({ component: 'credits-feeder' })),
    },
  ],
  exports: [BalanceFeeder],
})
export class LedgerWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(BalanceFeeder) private readonly feeder: BalanceFeeder,
    @Inject(METRICS) metrics: Metrics,
  ) {
    new Gauge({
      name: 'tollgate_credits_feeder_lag_seconds',
      help: 'From the storage of the last money event the balance feeder applied to its application (charges wait this long to reach the cached balance)',
      registers: [metrics.registry],
      collect() {
        this.set(feeder.lastLagMs / 1000);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.feeder.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.feeder.stop();
  }
}
