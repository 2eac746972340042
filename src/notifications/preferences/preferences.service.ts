import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { formatUsd } from '../../platform/money';
import { ALL_CATEGORIES, isOptionalCategory, MAIL_CATEGORIES, MailCategory, OptionalCategory } from '../mail/mail-categories';
import { preferencesDecider, PreferencesState, receives } from './preferences.decide';
import { preferencesStream } from './preferences.events';
import { PreferencesView } from './preferences.schemas';

export function viewOf(state: PreferencesState): PreferencesView {
  const threshold = state.lowBalanceThresholdMicroUsd;
  return {
    categories: ALL_CATEGORIES.map((category) => ({
      category,
      essential: MAIL_CATEGORIES[category].essential,
      enabled: receives(state, category),
      description: MAIL_CATEGORIES[category].description,
    })),
    marketing: { consented: state.marketingConsentAt !== null, consentedAt: state.marketingConsentAt },
    lowBalance: { thresholdUsd: threshold === null ? null : formatUsd(threshold), thresholdMicroUsd: threshold === null ? null : threshold.toString() },
  };
}

/** A person's mail preferences: changed through the decider, read back from the read model. */
@Injectable()
export class PreferencesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
  ) {}

  async change(
    accountId: string,
    change: { categories: Partial<Record<MailCategory, boolean>>; lowBalanceThresholdMicroUsd?: bigint | null },
    context: CommandContext,
  ): Promise<PreferencesView> {
    const result = await handleCommand(
      this.store,
      preferencesStream(accountId),
      preferencesDecider,
      { type: 'ChangePreferences', data: { accountId, ...change, at: context.occurredAt } },
      context,
    );
    return viewOf(result.state);
  }

  /** Idempotent: a second click (or a mail provider's retry) appends nothing. */
  async unsubscribe(accountId: string, category: OptionalCategory, context: CommandContext): Promise<void> {
    await handleCommand(this.store, preferencesStream(accountId), preferencesDecider, { type: 'Unsubscribe', data: { accountId, category, at: context.occurredAt } }, context);
  }

  /** From the stream, not the read model: a choice made a moment ago must already hold when a mail goes out. */
  async current(accountId: string): Promise<PreferencesState> {
    return (await loadAggregate(this.store, preferencesStream(accountId), preferencesDecider)).state;
  }

  /** The read model (it trails the events by the projection lag); no row = the defaults. */
  async view(accountId: string): Promise<PreferencesView> {
    const row = await this.db.selectFrom('notification_preferences').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    const state = preferencesDecider.initialState();
    if (!row) return viewOf(state);
    return viewOf({
      turnedOff: new Set(row.turned_off.filter(isOptionalCategory)),
      marketingConsentAt: row.marketing_consent_at?.toISOString() ?? null,
      lowBalanceThresholdMicroUsd: row.low_balance_threshold_micro_usd === null ? null : BigInt(row.low_balance_threshold_micro_usd),
    });
  }
}
