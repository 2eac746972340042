import { Module } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { KycGate } from './kyc-gate';
import { KycRetention } from './kyc-retention';
import { KycService } from './kyc.service';

/** KYC services (every role); the gate is used by API keys and payments. */
@Module({ imports: [AccountsModule], providers: [KycService, KycGate, KycRetention], exports: [KycService, KycGate, KycRetention] })
export class KycModule {}
