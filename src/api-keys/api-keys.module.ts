import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysService } from './api-keys.service';

/** ApiKeysService also needs KEY_KYC_GATE, which the global KycModule (privacy/kyc) provides. */
@Module({ imports: [AccountsModule], providers: [ApiKeysService], exports: [ApiKeysService] })
export class ApiKeysModule {}
