import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { SessionStore } from '../auth/session-store';
import { LedgerModule } from '../ledger/ledger.module';
import { NotificationPreferencesModule } from '../notifications/preferences/notification-preferences.module';
import { KycModule } from './kyc/kyc.module';
import { DataRightsService } from './data-rights.service';
import { AccountDeletion } from './deletion/account-deletion';
import { DeletionSweep } from './deletion/deletion-sweep';
import { DataExport } from './export/data-export';

/** Data rights services (P7, P9, P10), everywhere; routes in PrivacyHttpModule, the sweep in DeletionSweepModule. */
@Module({
  imports: [AccountsModule, ApiKeysModule, LedgerModule, KycModule, NotificationPreferencesModule],
  providers: [SessionStore, DataRightsService, AccountDeletion, DeletionSweep, DataExport],
  exports: [DataRightsService, AccountDeletion, DeletionSweep, DataExport],
})
export class PrivacyModule {}
