import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { kycDecider, retentionEnded } from './kyc.decide';
import { kycStream } from './kyc.events';

export const KYC_SWEEP_ACTOR = 'system:kyc-retention';
/** Accounts handled per run; the next run takes the rest. */
export const KYC_SWEEP_BATCH = 500;

/**
 * Shreds the vault keys of KYC numbers whose retention window (KYC_RETENTION_DAYS after the last
 * decision) has ended, then records KycNumbersShredded. Key first, event second: a crash in
 * between leaves a destroyed key and a row still listed, and the next run records it (shredding
 * is idempotent). The read model only finds candidates; the stream decides.
 */
@Injectable()
export class KycRetention {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
  ) {}

  async sweep(nowMs = Date.now()): Promise<{ shredded: string[] }> {
    const retentionMs = this.config.kyc.retentionMs;
    const rows = await this.db
      .selectFrom('kyc_verifications')
      .select('account_id')
      .where('numbers_shredded_at', 'is', null)
      .where('decided_at', '<=', new Date(nowMs - retentionMs))
      .orderBy('decided_at')
      .limit(KYC_SWEEP_BATCH)
      .execute();
    const at = new Date(nowMs).toISOString();
    const shredded: string[] = [];
    for (const { account_id: accountId } of rows) {
      const { state } = await loadAggregate(this.store, kycStream(accountId), kycDecider);
      if (!retentionEnded(state, retentionMs, at)) continue;
      for (const subject of state.liveSubjects) await this.vault.shred(subject, new Date(nowMs));
      const result = await handleCommand(
        this.store,
        kycStream(accountId),
        kycDecider,
        { type: 'RecordKycNumbersShredded', subjects: state.liveSubjects, at },
        { actorId: KYC_SWEEP_ACTOR, occurredAt: at },
      );
      if (result.events.length > 0) shredded.push(accountId);
    }
    return { shredded };
  }
}
