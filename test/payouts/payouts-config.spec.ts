import { loadConfig } from '../../src/platform/config/config';

describe('payout config', () => {
  it('defaults: 10.00 USD minimum, 7 days of holdback', () => {
    expect(loadConfig({}).payouts).toEqual({ minimumMicroUsd: 10_000_000n, holdbackMs: 7 * 86_400_000 });
  });
  it('reads both variables', () => {
    expect(loadConfig({ PAYOUT_MINIMUM_USD: '25.5', PAYOUT_HOLDBACK_DAYS: '0' }).payouts).toEqual({ minimumMicroUsd: 25_500_000n, holdbackMs: 0 });
  });
  it('refuses bad values with messages naming them, all at once', () => {
    let message = '';
    try {
      loadConfig({ PAYOUT_MINIMUM_USD: '0', PAYOUT_HOLDBACK_DAYS: '1.5' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PAYOUT_MINIMUM_USD must be a USD amount above 0');
    expect(message).toContain('PAYOUT_HOLDBACK_DAYS must be an integer in 0..365 (got "1.5")');
    expect(() => loadConfig({ PAYOUT_MINIMUM_USD: 'ten' })).toThrow('(got "ten")');
  });
});
