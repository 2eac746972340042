import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kysely } from 'kysely';
import { AccountsService } from '../../accounts/accounts.service';
import { notFound } from '../../platform/errors/domain-error';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { kycDecider, KycState } from './kyc.decide';
import { kycStream, kycSubject } from './kyc.events';
import { maskAadhaar, maskPan, normaliseAadhaar, normalisePan } from './kyc-numbers';
import { KycView } from './kyc.schemas';

/** What anyone sees of a KYC: status and masked numbers, never the numbers. */
@Injectable()
export class KycService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly accounts: AccountsService,
  ) {}

  /** Validates, seals (numbers under the submission's own key, masks under the profile key) and records. */
  async submit(accountId: string, input: { pan: string; aadhaar: string }, context: CommandContext): Promise<KycView> {
    const pan = normalisePan(input.pan);
    const aadhaar = normaliseAadhaar(input.aadhaar);
    if (!(await this.accounts.exists(accountId))) throw notFound('account_not_found', 'No such account.');
    const submissionId = randomUUID();
    const subject = kycSubject(accountId, submissionId);
    await handleCommand(
      this.store,
      kycStream(accountId),
      kycDecider,
      {
        type: 'SubmitKyc',
        submissionId,
        subject,
        pan: await this.vault.seal(subject, pan),
        aadhaar: await this.vault.seal(subject, aadhaar),
        panMasked: await this.vault.seal(accountId, maskPan(pan)),
        aadhaarMasked: await this.vault.seal(accountId, maskAadhaar(aadhaar)),
        at: context.occurredAt,
      },
      context,
    );
    return {
      status: 'submitted',
      pan: maskPan(pan),
      aadhaar: maskAadhaar(aadhaar),
      submittedAt: context.occurredAt,
      decidedAt: null,
      rejectionReason: null,
      numbersShreddedAt: null,
    };
  }

  async verify(accountId: string, context: CommandContext): Promise<void> {
    await handleCommand(this.store, kycStream(accountId), kycDecider, { type: 'VerifyKyc', at: context.occurredAt }, context);
  }

  async reject(accountId: string, reason: string, context: CommandContext): Promise<void> {
    await handleCommand(this.store, kycStream(accountId), kycDecider, { type: 'RejectKyc', reason, at: context.occurredAt }, context);
  }

  async state(accountId: string): Promise<KycState> {
    return (await loadAggregate(this.store, kycStream(accountId), kycDecider)).state;
  }

  /**
   * The read model; while it lags behind a first submission, the stream (without decidedBy).
   * `staff` adds who decided.
   */
  async view(accountId: string, staff: boolean): Promise<KycView> {
    const row = await this.db.selectFrom('kyc_verifications').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (row) {
      return {
        status: row.status,
        pan: await this.vault.open(accountId, row.pan_masked_sealed),
        aadhaar: await this.vault.open(accountId, row.aadhaar_masked_sealed),
        submittedAt: row.submitted_at.toISOString(),
        decidedAt: row.decided_at?.toISOString() ?? null,
        ...(staff ? { decidedBy: row.decided_by } : {}),
        rejectionReason: row.rejection_reason,
        numbersShreddedAt: row.numbers_shredded_at?.toISOString() ?? null,
      };
    }
    const state = await this.state(accountId);
    if (state.status === 'none') throw notFound('kyc_not_submitted', 'No KYC details have been submitted for this account.');
    return {
      status: state.status,
      pan: await this.vault.open(accountId, state.panMasked),
      aadhaar: await this.vault.open(accountId, state.aadhaarMasked),
      submittedAt: state.submittedAt as string,
      decidedAt: state.decidedAt,
      ...(staff ? { decidedBy: null } : {}),
      rejectionReason: state.rejectionReason,
      numbersShreddedAt: state.numbersShreddedAt,
    };
  }
}
