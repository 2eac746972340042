import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { KycModule } from '../privacy/kyc/kyc.module';
import { ApiKeysService } from './api-keys.service';

@Module({ imports: [AccountsModule, KycModule], providers: [ApiKeysService], exports: [ApiKeysService] })
export class ApiKeysModule {}
