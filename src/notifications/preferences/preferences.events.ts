import { DomainEvent } from '../../platform/event-sourcing/decider';
import { OptionalCategory } from '../mail/mail-categories';

/** How a choice was made: the /me settings, or a mail's one-click unsubscribe link (no sign-in). */
export type PreferenceVia = 'settings' | 'unsubscribe-link';

/**
 * Stream `notifications-{accountId}`: what a person chose to receive. Marketing has its own
 * events: consent is given explicitly and its time is kept (item 3); the other optional
 * categories are on until turned off.
 */
export type PreferencesEvent =
  | DomainEvent<'NotificationCategoryTurnedOff', { accountId: string; category: Exclude<OptionalCategory, 'marketing'>; via: PreferenceVia; turnedOffAt: string }>
  | DomainEvent<'NotificationCategoryTurnedOn', { accountId: string; category: Exclude<OptionalCategory, 'marketing'>; turnedOnAt: string }>
  | DomainEvent<'MarketingConsentGiven', { accountId: string; givenAt: string }>
  | DomainEvent<'MarketingConsentWithdrawn', { accountId: string; via: PreferenceVia; withdrawnAt: string }>
  /** null: no threshold (the default), so no low-balance mails. */
  | DomainEvent<'LowBalanceThresholdSet', { accountId: string; thresholdMicroUsd: string | null; setAt: string }>;

export type PreferencesEventType = PreferencesEvent['type'];
export const PREFERENCES_STREAM_PREFIX = 'notifications-';
export const preferencesStream = (accountId: string) => `${PREFERENCES_STREAM_PREFIX}${accountId}`;
