import { Global, Module } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { KEY_KYC_GATE, KeyKycGate } from '../../api-keys/key-kyc-gate';
import { KycGate } from './kyc-gate';
import { KycRetention } from './kyc-retention';
import { KycService } from './kyc.service';

/**
 * KYC services (every role: PrivacyModule imports it); the gate is used by API keys and payments.
 * Global because ApiKeysModule reads the gate as KEY_KYC_GATE but cannot import this module
 * without a ring of folders (issue 21).
 */
@Global()
@Module({
  imports: [AccountsModule],
  providers: [
    KycService,
    KycGate,
    KycRetention,
    // The same instance, typed: a change to either side fails to compile rather than at run time.
    { provide: KEY_KYC_GATE, inject: [KycGate], useFactory: (gate: KycGate): KeyKycGate => gate },
  ],
  exports: [KycService, KycGate, KycRetention, KEY_KYC_GATE],
})
export class KycModule {}
