import { availableForPayout, heldForReview, payoutDecider, PayoutState } from '../../src/payouts/payout.decide';
import { PayoutEvent } from '../../src/payouts/payout.events';
import { given } from '../support/decider-spec';

const at = '2026-12-04T10:00:00.000Z';
const held = (reviewId: string, nodeId = 'node1'): PayoutEvent => ({
  type: 'EarningsHeldForReview',
  data: { providerId: 'prov1', reviewId, nodeId, fromDay: '2026-12-03', toDay: '2026-12-04', reason: 'Suspended automatically: probes.', heldAt: at },
});
const released = (reviewId: string): PayoutEvent => ({ type: 'HeldEarningsReleased', data: { providerId: 'prov1', reviewId, nodeId: 'node1', reason: 'fine', releasedAt: at } });
const clawedBack = (reviewId: string, amount: bigint): PayoutEvent => ({
  type: 'HeldEarningsClawedBack',
  data: {
    providerId: 'prov1',
    reviewId,
    nodeId: 'node1',
    amountMicroUsd: amount.toString(),
    reason: 'lied',
    clawedBackAt: at,
    postings:
      amount > 0n
        ? [
            { account: 'provider:prov1', amountMicroUsd: amount.toString() },
            { account: 'platform:clawbacks', amountMicroUsd: (-amount).toString() },
          ]
        : [],
  },
});
const requested = (payoutId: string, amount: bigint): PayoutEvent => ({
  type: 'PayoutRequested',
  data: { providerId: 'prov1', payoutId, amountMicroUsd: amount.toString(), requestedAt: at },
});
const request = (amount: bigint, heldEarnings: Record<string, bigint>, matured = 100_000_000n) => ({
  type: 'RequestPayout' as const,
  providerId: 'prov1',
  payoutId: 'p',
  amountMicroUsd: amount,
  maturedEarningsMicroUsd: matured,
  heldEarnings,
  minimumMicroUsd: 1n,
  at,
});
const hold = (reviewId: string, nodeId = 'node1') => ({
  type: 'HoldEarnings' as const,
  providerId: 'prov1',
  reviewId,
  nodeId,
  fromDay: '2026-12-03',
  toDay: '2026-12-04',
  reason: 'Suspended automatically: probes.',
  at,
});
const stateOf = (events: PayoutEvent[]): PayoutState => events.reduce(payoutDecider.evolve, payoutDecider.initialState());

describe('payout decider: earnings held for review — available = matured − held − clawed back − open − paid', () => {
  it('an open hold is subtracted at the amount read with the matured earnings; a request above the rest is refused', () => {
    given(payoutDecider, [held('r1')])
      .when(request(70_000_001n, { r1: 30_000_000n }))
      .thenRefuses('payout_exceeds_earnings');
    given(payoutDecider, [held('r1')])
      .when(request(70_000_000n, { r1: 30_000_000n }))
      .then([requested('p', 70_000_000n)]);
  });

  it('a hold placed after the caller read the amounts refuses the request (the service reads again)', () => {
    given(payoutDecider, [held('r1')])
      .when(request(1n, {}))
      .thenRefuses('earnings_hold_changed');
  });

  it('released: nothing held any more; clawed back: the amount counts like a payout, from the stream, never from the lagging ledger', () => {
    expect(availableForPayout(stateOf([held('r1'), released('r1')]), 100_000_000n, {})).toBe(100_000_000n);
    const state = stateOf([held('r1'), clawedBack('r1', 30_000_000n)]);
    expect(heldForReview(state, {})).toBe(0n);
    expect(availableForPayout(state, 100_000_000n, {})).toBe(70_000_000n);
  });

  it('one open hold per node: holding again is a no-op (a retried review), another node gets its own', () => {
    given(payoutDecider, [held('r1')])
      .when(hold('r2'))
      .then([]);
    given(payoutDecider, [held('r1')])
      .when(hold('r1'))
      .then([]);
    given(payoutDecider, [held('r1')])
      .when(hold('r2', 'node2'))
      .then([held('r2', 'node2')]);
    given(payoutDecider, [held('r1'), released('r1')])
      .when(hold('r2'))
      .then([held('r2')]);
    given(payoutDecider, [])
      .when({ ...hold('r1'), fromDay: '2026-12-05' })
      .thenRefuses('invalid_period');
    given(payoutDecider, [])
      .when({ ...hold('r1'), reason: ' ' })
      .thenRefuses('invalid_reason');
  });

  it('a clawback is a correcting entry (Dr provider, Cr platform:clawbacks, balanced), once; a decided review cannot be decided the other way', () => {
    const claw = { type: 'ClawBackHeldEarnings' as const, providerId: 'prov1', reviewId: 'r1', amountMicroUsd: 30_000_000n, reason: 'lied', at };
    const release = { type: 'ReleaseHeldEarnings' as const, providerId: 'prov1', reviewId: 'r1', reason: 'fine', at };
    given(payoutDecider, [held('r1')])
      .when(claw)
      .then([clawedBack('r1', 30_000_000n)]);
    given(payoutDecider, [held('r1')])
      .when({ ...claw, amountMicroUsd: 0n })
      .then([clawedBack('r1', 0n)]);
    given(payoutDecider, [held('r1'), clawedBack('r1', 30_000_000n)])
      .when(claw)
      .then([]);
    given(payoutDecider, [held('r1'), clawedBack('r1', 30_000_000n)])
      .when(release)
      .thenRefuses('review_closed');
    given(payoutDecider, [held('r1'), released('r1')])
      .when(claw)
      .thenRefuses('review_closed');
    given(payoutDecider, [held('r1'), released('r1')])
      .when(release)
      .then([]);
    given(payoutDecider, []).when(release).thenRefuses('review_not_found');
    given(payoutDecider, [held('r1')])
      .when({ ...release, reason: '' })
      .thenRefuses('invalid_reason');
  });
});
