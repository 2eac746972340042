import { Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { AccountsModule } from '../accounts/accounts.module';
import { APP_CONFIG, AppConfig } from '../config/config';
import { KYSELY } from '../database/database.module';
import { Database } from '../database/schema';
import { REDIS } from '../redis/redis.module';
import { CreditsService } from './credits.service';
import { LedgerQueries } from './ledger.queries';
import { CreditHolds } from './spending/credit-holds';
import { CreditSpending } from './spending/credit-spending';

/** The credit ledger's write side, two-phase spending and read side, for every process role. */
@Module({
  imports: [AccountsModule],
  providers: [
    { provide: CreditHolds, inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, config: AppConfig) => new CreditHolds(redis, config.redisKeyPrefix) },
    { provide: CreditSpending, inject: [CreditHolds, KYSELY], useFactory: (holds: CreditHolds, db: Kysely<Database>) => new CreditSpending(holds, db) },
    CreditsService,
    LedgerQueries,
  ],
  exports: [CreditHolds, CreditSpending, CreditsService, LedgerQueries],
})
export class LedgerModule {}
