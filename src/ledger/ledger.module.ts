import { Inject, Module } from '@nestjs/common';
import { Gauge } from 'prom-client';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { AccountsModule } from '../accounts/accounts.module';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { Metrics } from '../platform/observability/metrics';
import { METRICS } from '../platform/observability/tokens';
import { REDIS } from '../platform/redis/redis.module';
import { CreditsService } from './credits.service';
import { LedgerQueries } from './ledger.queries';
import { CreditHolds, DEFAULT_HOLD_TIMINGS } from './spending/credit-holds';
import { CreditSpending } from './spending/credit-spending';

/** The credit ledger's write side, two-phase spending and read side, for every process role. */
@Module({
  imports: [AccountsModule],
  providers: [
    {
      provide: CreditHolds,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, config: AppConfig) =>
        new CreditHolds(redis, config.redisKeyPrefix, { ...DEFAULT_HOLD_TIMINGS, reservationTtlMs: config.charges.holdTtlMs, feederMaxLagMs: config.charges.feederMaxLagMs }),
    },
    { provide: CreditSpending, inject: [CreditHolds, KYSELY], useFactory: (holds: CreditHolds, db: Kysely<Database>) => new CreditSpending(holds, db) },
    CreditsService,
    LedgerQueries,
  ],
  exports: [CreditHolds, CreditSpending, CreditsService, LedgerQueries],
})
export class LedgerModule {
  constructor(spending: CreditSpending, @Inject(METRICS) metrics: Metrics) {
    new Gauge({
      name: 'tollgate_credits_refused_feeder_lag',
      help: 'Reservations refused (503 credits_feeder_lagging) since start because the account had a settled charge waiting for the balance feeder longer than CREDIT_FEEDER_MAX_LAG_MS',
      registers: [metrics.registry],
      collect() {
        this.set(spending.refusedForFeederLag);
      },
    });
  }
}
