import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AdminModule } from '../admin/admin.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { SessionsModule } from '../auth/sessions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { AccountHistory } from './account-history';
import { AccountSearch } from './account-search';
import { AccountSearchController } from './account-search.controller';
import { SupportController } from './support.controller';

/** Support's search and replay of accounts (API processes); AccountHistory is also used by the CLI. */
@Module({
  imports: [LedgerModule, SessionsModule, AccountsModule, AdminModule, ApiKeysModule],
  controllers: [SupportController, AccountSearchController],
  providers: [AccountHistory, AccountSearch],
  exports: [AccountHistory],
})
export class SupportModule {}
