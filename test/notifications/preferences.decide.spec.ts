import { preferencesDecider, receives } from '../../src/notifications/preferences/preferences.decide';
import { PreferencesEvent } from '../../src/notifications/preferences/preferences.events';
import { crossing } from '../../src/notifications/low-balance/low-balance';
import { given } from '../support/decider-spec';

const A = 'acc_1';
const at = '2026-12-05T08:00:00.000Z';
const change = (categories: Record<string, boolean>, lowBalanceThresholdMicroUsd?: bigint | null) => ({
  type: 'ChangePreferences' as const,
  data: { accountId: A, categories, ...(lowBalanceThresholdMicroUsd === undefined ? {} : { lowBalanceThresholdMicroUsd }), at },
});
const off = (category: 'product'): PreferencesEvent => ({ type: 'NotificationCategoryTurnedOff', data: { accountId: A, category, via: 'settings', turnedOffAt: at } });

describe('preferences decider', () => {
  it('turning a category off, then on; marketing by consent events with their time', () => {
    given(preferencesDecider, [])
      .when(change({ product: false, marketing: true }))
      .then([off('product'), { type: 'MarketingConsentGiven', data: { accountId: A, givenAt: at } }]);
    given(preferencesDecider, [off('product')])
      .when(change({ product: true }))
      .then([{ type: 'NotificationCategoryTurnedOn', data: { accountId: A, category: 'product', turnedOnAt: at } }]);
    given(preferencesDecider, [{ type: 'MarketingConsentGiven', data: { accountId: A, givenAt: at } }])
      .when({ type: 'Unsubscribe', data: { accountId: A, category: 'marketing', at } })
      .then([{ type: 'MarketingConsentWithdrawn', data: { accountId: A, via: 'unsubscribe-link', withdrawnAt: at } }]);
  });

  it('what is already so appends nothing (a second click, marketing off by default, an essential category asked on)', () => {
    given(preferencesDecider, [off('product')])
      .when({ type: 'Unsubscribe', data: { accountId: A, category: 'product', at } })
      .then([]);
    given(preferencesDecider, [])
      .when(change({ marketing: false, security: true, 'low-balance': true }))
      .then([]);
    given(preferencesDecider, []).when(change({}, null)).then([]);
  });

  it('refuses essential categories off and thresholds out of range', () => {
    for (const category of ['account', 'security', 'billing', 'privacy', 'legal', 'provider'])
      given(preferencesDecider, [])
        .when(change({ [category]: false }))
        .thenRefuses('essential_category');
    given(preferencesDecider, []).when(change({}, 0n)).thenRefuses('invalid_amount');
    given(preferencesDecider, []).when(change({}, 1_000_000_000_001n)).thenRefuses('invalid_amount');
    given(preferencesDecider, [])
      .when(change({}, 5_000_000n))
      .then([{ type: 'LowBalanceThresholdSet', data: { accountId: A, thresholdMicroUsd: '5000000', setAt: at } }]);
  });

  it('defaults: essential and usage mails on, marketing off', () => {
    const state = preferencesDecider.initialState();
    expect(['security', 'low-balance', 'node-status', 'product'].map((c) => receives(state, c as never))).toEqual([true, true, true, true]);
    expect(receives(state, 'marketing')).toBe(false);
  });
});

describe('low-balance crossing', () => {
  it('mails once per dip below the threshold and re-arms at or above it', () => {
    const balances = [12n, 9n, 8n, 3n, 10n, 11n, 9n, 9n];
    let alerted = false;
    const mails: bigint[] = [];
    for (const b of balances) {
      const next = crossing(b, 10n, alerted);
      if (next.mail) mails.push(b);
      alerted = next.alerted;
    }
    expect(mails).toEqual([9n, 9n]); // the first dip, then again after 10 (exactly the threshold) re-armed it
  });
});
