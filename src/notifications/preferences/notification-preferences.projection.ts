import { Transaction } from 'kysely';
import { Database } from '../../platform/database/schema';
import { RecordedEvent } from '../../platform/event-store/event-store.port';
import { preferencesDecider, PreferencesState } from './preferences.decide';
import { PREFERENCES_STREAM_PREFIX, PreferencesEvent } from './preferences.events';
import { isOptionalCategory } from '../mail/mail-categories';
import { Projector } from '../../platform/projection-runtime/projector';

/**
 * Mail preferences per account (the `notifications-{accountId}` streams), folded with the
 * decider's own evolve so the read model cannot disagree with the write side. Rows keep the
 * revision they reflect; a replayed event changes nothing.
 */
export const notificationPreferencesProjection: Projector = {
  name: 'notification-preferences',
  tables: ['notification_preferences'],
  async apply(trx, events) {
    for (const event of events) if (event.stream.startsWith(PREFERENCES_STREAM_PREFIX)) await applyOne(trx, event);
  },
};

async function applyOne(trx: Transaction<Database>, recorded: RecordedEvent): Promise<void> {
  const accountId = recorded.stream.slice(PREFERENCES_STREAM_PREFIX.length);
  const revision = recorded.revision.toString();
  const row = await trx.selectFrom('notification_preferences').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (row && BigInt(row.revision) >= recorded.revision) return;
  const before: PreferencesState = row
    ? {
        turnedOff: new Set(row.turned_off.filter(isOptionalCategory)),
        marketingConsentAt: row.marketing_consent_at?.toISOString() ?? null,
        lowBalanceThresholdMicroUsd: row.low_balance_threshold_micro_usd === null ? null : BigInt(row.low_balance_threshold_micro_usd),
      }
    : preferencesDecider.initialState();
  let after: PreferencesState;
  try {
    after = preferencesDecider.evolve(before, { type: recorded.type, data: recorded.data } as PreferencesEvent);
  } catch {
    after = before; // a malformed event (a threshold that is not a number) is ignored, never fatal
  }
  const values = {
    turned_off: [...after.turnedOff],
    marketing_consent_at: after.marketingConsentAt === null ? null : new Date(after.marketingConsentAt),
    low_balance_threshold_micro_usd: after.lowBalanceThresholdMicroUsd?.toString() ?? null,
    revision,
    updated_at: recorded.createdAt,
  };
  await trx
    .insertInto('notification_preferences')
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values).where('notification_preferences.revision', '<', revision))
    .execute();
}
