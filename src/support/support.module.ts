import { Module } from '@nestjs/common';
import { SessionsModule } from '../auth/sessions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { AccountHistory } from './account-history';
import { SupportController } from './support.controller';

/** Support's replay of accounts (API processes); AccountHistory is also used by the CLI. */
@Module({
  imports: [LedgerModule, SessionsModule],
  controllers: [SupportController],
  providers: [AccountHistory],
  exports: [AccountHistory],
})
export class SupportModule {}
