import { Transaction } from 'kysely';
import { Database } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';
import { PayoutEvent } from './payout.events';
import { actor, time } from './payouts.projection';

const STREAM_PREFIX = 'payout-';
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const TYPES = new Set(['EarningsHeldForReview', 'HeldEarningsReleased', 'HeldEarningsClawedBack']);

/**
 * Holds for review (on `payout-{providerId}` streams) and how each was decided, for the admins'
 * review queue. Rows keep the revision they reflect; a decision applies only to an open hold.
 * Availability never reads this table: the payout stream itself is the authority there.
 */
export const earningsHoldsProjection: Projector = {
  name: 'earnings-holds',
  tables: ['earnings_holds'],
  async apply(trx, events) {
    for (const event of events) if (TYPES.has(event.type) && event.stream.startsWith(STREAM_PREFIX)) await applyOne(trx, event);
  },
};

async function applyOne(trx: Transaction<Database>, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as PayoutEvent;
  const revision = recorded.revision.toString();
  const d = recorded.data;
  if (!hasStrings(d, 'reviewId', 'reason')) return;
  const reviewId = d.reviewId as string;
  const decide = (status: 'released' | 'clawed_back', at: Date, clawedBack: string | null) =>
    trx
      .updateTable('earnings_holds')
      .set({ status, decided_at: at, decided_by: actor(recorded), decision_reason: (d.reason as string).slice(0, 500), clawed_back_micro_usd: clawedBack, revision })
      .where('review_id', '=', reviewId)
      .where('status', '=', 'open')
      .where('revision', '<', revision)
      .execute();
  switch (event.type) {
    case 'EarningsHeldForReview': {
      const at = time(event.data.heldAt);
      if (!at || !hasStrings(event.data, 'nodeId') || !DAY_RE.test(String(event.data.fromDay)) || !DAY_RE.test(String(event.data.toDay))) return;
      await trx
        .insertInto('earnings_holds')
        .values({
          review_id: reviewId,
          provider_id: recorded.stream.slice(STREAM_PREFIX.length),
          node_id: event.data.nodeId,
          from_day: event.data.fromDay,
          to_day: event.data.toDay,
          status: 'open',
          reason: event.data.reason.slice(0, 500),
          held_at: at,
          held_by: actor(recorded),
          decided_at: null,
          decided_by: null,
          decision_reason: null,
          clawed_back_micro_usd: null,
          revision,
        })
        .onConflict((oc) => oc.column('review_id').doNothing())
        .execute();
      return;
    }
    case 'HeldEarningsReleased': {
      const at = time(event.data.releasedAt);
      if (at) await decide('released', at, null);
      return;
    }
    case 'HeldEarningsClawedBack': {
      const at = time(event.data.clawedBackAt);
      if (at && /^\d{1,19}$/.test(String(event.data.amountMicroUsd))) await decide('clawed_back', at, event.data.amountMicroUsd);
      return;
    }
    default:
      return;
  }
}
