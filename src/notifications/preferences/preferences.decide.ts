import { DomainError, invalid } from '../../platform/errors/domain-error';
import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { formatUsd, MAX_AMOUNT_MICRO_USD } from '../../platform/money';
import { isOptionalCategory, MailCategory, onByDefault, OptionalCategory } from '../mail/mail-categories';
import { PreferencesEvent, PreferenceVia } from './preferences.events';

export interface PreferencesState {
  /** Optional categories turned off (marketing is never here: see marketingConsentAt). */
  turnedOff: ReadonlySet<OptionalCategory>;
  /** When marketing was consented to; null = no consent (the default). */
  marketingConsentAt: string | null;
  lowBalanceThresholdMicroUsd: bigint | null;
}

export type PreferencesCommand =
  | {
      type: 'ChangePreferences';
      data: { accountId: string; categories: Partial<Record<MailCategory, boolean>>; lowBalanceThresholdMicroUsd?: bigint | null; at: string };
    }
  /** The one-click link: one category off, whatever it was. */
  | { type: 'Unsubscribe'; data: { accountId: string; category: OptionalCategory; at: string } };

export const essentialRefused = (category: string): DomainError =>
  invalid('essential_category', `categories.${category}: ${category} mails are essential (security, billing, legal and account matters) and cannot be turned off.`);

/** Whether mails of this category reach the person now. Essential ones always do. */
export function receives(state: PreferencesState, category: MailCategory): boolean {
  if (!isOptionalCategory(category)) return true;
  if (category === 'marketing') return state.marketingConsentAt !== null;
  return !state.turnedOff.has(category) && onByDefault(category);
}

function toggle(accountId: string, state: PreferencesState, category: OptionalCategory, on: boolean, via: PreferenceVia, at: string): PreferencesEvent[] {
  if (receives(state, category) === on) return []; // already so: a repeated click changes nothing
  if (category === 'marketing')
    return [on ? { type: 'MarketingConsentGiven', data: { accountId, givenAt: at } } : { type: 'MarketingConsentWithdrawn', data: { accountId, via, withdrawnAt: at } }];
  return [
    on
      ? { type: 'NotificationCategoryTurnedOn', data: { accountId, category, turnedOnAt: at } }
      : { type: 'NotificationCategoryTurnedOff', data: { accountId, category, via, turnedOffAt: at } },
  ];
}

function change(command: Extract<PreferencesCommand, { type: 'ChangePreferences' }>['data'], state: PreferencesState): PreferencesEvent[] {
  const events: PreferencesEvent[] = [];
  for (const [category, on] of Object.entries(command.categories) as [MailCategory, boolean][]) {
    if (!isOptionalCategory(category)) {
      if (!on) throw essentialRefused(category);
      continue; // asking for an essential category on: it is
    }
    events.push(...toggle(command.accountId, state, category, on, 'settings', command.at));
  }
  const threshold = command.lowBalanceThresholdMicroUsd;
  if (threshold !== undefined && threshold !== state.lowBalanceThresholdMicroUsd) {
    if (threshold !== null && (threshold <= 0n || threshold > MAX_AMOUNT_MICRO_USD)) {
      throw invalid('invalid_amount', `lowBalanceThresholdUsd must be more than zero and at most ${formatUsd(MAX_AMOUNT_MICRO_USD)} USD, or null for none.`);
    }
    events.push({ type: 'LowBalanceThresholdSet', data: { accountId: command.accountId, thresholdMicroUsd: threshold === null ? null : threshold.toString(), setAt: command.at } });
  }
  return events;
}

export const preferencesDecider: Decider<PreferencesState, PreferencesCommand, PreferencesEvent> = {
  initialState: () => ({ turnedOff: new Set(), marketingConsentAt: null, lowBalanceThresholdMicroUsd: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'NotificationCategoryTurnedOff':
        return { ...state, turnedOff: new Set([...state.turnedOff, event.data.category]) };
      case 'NotificationCategoryTurnedOn':
        return { ...state, turnedOff: new Set([...state.turnedOff].filter((c) => c !== event.data.category)) };
      case 'MarketingConsentGiven':
        return { ...state, marketingConsentAt: event.data.givenAt };
      case 'MarketingConsentWithdrawn':
        return { ...state, marketingConsentAt: null };
      case 'LowBalanceThresholdSet':
        return { ...state, lowBalanceThresholdMicroUsd: event.data.thresholdMicroUsd === null ? null : BigInt(event.data.thresholdMicroUsd) };
      default:
        return state; // an event type from a later version: not ours to interpret
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ChangePreferences':
        return change(command.data, state);
      case 'Unsubscribe':
        return toggle(command.data.accountId, state, command.data.category, false, 'unsubscribe-link', command.data.at);
      default:
        return assertNever(command);
    }
  },
};
