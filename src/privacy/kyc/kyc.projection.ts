import { sql, Transaction } from 'kysely';
import { Database } from '../../platform/database/schema';
import { RecordedEvent } from '../../platform/event-store/event-store.port';
import { hasStrings } from '../../platform/projection-runtime/event-shape';
import { Projector } from '../../platform/projection-runtime/projector';
import { KycEvent } from './kyc.events';

/**
 * KYC status per account (P17): masked numbers (sealed with the profile key), who decided and
 * when. Never the numbers, not even sealed: they stay in the events, under the submission's key.
 * Rows keep the revision they reflect; a replayed event changes nothing.
 */
export const kycProjection: Projector = {
  name: 'kyc',
  tables: ['kyc_verifications'],
  async apply(trx, events) {
    for (const event of events) if (event.stream.startsWith('kyc-')) await applyOne(trx, event);
  },
};

async function applyOne(trx: Transaction<Database>, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as KycEvent;
  const revision = recorded.revision.toString();
  const accountId = recorded.stream.slice('kyc-'.length);
  const actor = typeof recorded.metadata.actorId === 'string' ? recorded.metadata.actorId : null;
  const update = (set: Record<string, unknown>) =>
    trx
      .updateTable('kyc_verifications')
      .set({ ...set, revision })
      .where('account_id', '=', accountId)
      .where('revision', '<', revision)
      .execute();
  switch (event.type) {
    case 'KycSubmitted': {
      if (!hasStrings(event.data, 'submissionId', 'panMasked', 'aadhaarMasked', 'submittedAt')) return;
      const row = {
        status: 'submitted' as const,
        submission_id: event.data.submissionId,
        pan_masked_sealed: event.data.panMasked,
        aadhaar_masked_sealed: event.data.aadhaarMasked,
        submitted_at: new Date(event.data.submittedAt),
        decided_at: null,
        decided_by: null,
        rejection_reason: null,
        numbers_shredded_at: null,
        revision,
      };
      await trx
        .insertInto('kyc_verifications')
        .values({ account_id: accountId, ...row })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(row).where('kyc_verifications.revision', '<', revision))
        .execute();
      return;
    }
    case 'KycVerified':
      if (!hasStrings(event.data, 'verifiedAt')) return;
      await update({ status: 'verified', decided_at: new Date(event.data.verifiedAt), decided_by: actor });
      return;
    case 'KycRejected':
      if (!hasStrings(event.data, 'rejectedAt', 'reason')) return;
      await update({ status: 'rejected', decided_at: new Date(event.data.rejectedAt), decided_by: actor, rejection_reason: event.data.reason });
      return;
    case 'KycNumbersShredded': {
      if (!hasStrings(event.data, 'shreddedAt') || !Array.isArray(event.data.subjects)) return;
      // Only when the row's own submission was among them: a newer submission's numbers are still kept.
      const ids = event.data.subjects.map((s) => String(s).split(':')[2] ?? '');
      await update({ numbers_shredded_at: sql`CASE WHEN submission_id = ANY(${ids}::text[]) THEN ${new Date(event.data.shreddedAt)}::timestamptz ELSE numbers_shredded_at END` });
      return;
    }
    default:
      await update({});
  }
}
