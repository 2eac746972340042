import { Inject, Injectable } from '@nestjs/common';
import { forbidden } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { loadAggregate } from '../../platform/event-sourcing/command-handler';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { kycDecider } from './kyc.decide';
import { kycStream } from './kyc.events';

/**
 * With KYC_REQUIRED on, identity numbers are collected before payments and API access: payment
 * orders and new API keys are refused until the account's KYC is verified. Reads the KYC stream
 * (not the read model), so a verification counts at once. Not on the /v1 hot path: a deployment
 * turns KYC on before issuing keys, and keys issued earlier keep working.
 */
@Injectable()
export class KycGate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async assertAllowed(accountId: string, what: 'payment orders' | 'API keys'): Promise<void> {
    if (!this.config.kyc.required) return;
    const { state } = await loadAggregate(this.store, kycStream(accountId), kycDecider);
    if (state.status === 'verified') return;
    const next =
      state.status === 'none'
        ? 'submit your PAN and Aadhaar with PUT /me/kyc, then wait for verification'
        : state.status === 'submitted'
          ? 'your details are waiting for verification'
          : 'your KYC was rejected; submit corrected details with PUT /me/kyc';
    throw forbidden('kyc_required', `Identity verification (KYC) is required before creating ${what}: ${next}.`);
  }
}
