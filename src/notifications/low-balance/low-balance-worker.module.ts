import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY, PG_POOL } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { MAIL_OUTBOX, MailOutbox } from '../mail/mail-outbox';
import { LowBalanceReactor } from './low-balance.reactor';

/** Low-balance alerts (worker and all roles); the mails go through the outbox like every other. */
@Module({
  providers: [
    {
      provide: LowBalanceReactor,
      inject: [EVENT_STORE, PERSONAL_DATA_VAULT, MAIL_OUTBOX, KYSELY, PG_POOL, APP_CONFIG, LOGGER],
      useFactory: (store: EventStore, vault: PersonalDataVault, outbox: MailOutbox, db: Kysely<Database>, pool: Pool, config: AppConfig, logger: Logger) =>
        new LowBalanceReactor(store, vault, outbox, db, pool, `${config.appUrl ?? config.publicUrl}/me/notifications`, logger.child({ component: 'low-balance' })),
    },
  ],
})
export class LowBalanceWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(LowBalanceReactor) private readonly reactor: LowBalanceReactor) {}

  onApplicationBootstrap(): void {
    this.reactor.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.reactor.stop();
  }
}
