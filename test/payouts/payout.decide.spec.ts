import { availableForPayout, MAX_OPEN_PAYOUTS, payoutDecider, PayoutState } from '../../src/payouts/payout.decide';
import { PayoutEvent } from '../../src/payouts/payout.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const requested = (payoutId: string, amount: bigint): PayoutEvent => ({
  type: 'PayoutRequested',
  data: { providerId: 'prov1', payoutId, amountMicroUsd: amount.toString(), requestedAt: at },
});
const approved = (payoutId: string): PayoutEvent => ({ type: 'PayoutApproved', data: { providerId: 'prov1', payoutId, approvedBy: 'fin1', approvedAt: at } });
const paid = (payoutId: string, amount: bigint): PayoutEvent => ({
  type: 'PayoutPaid',
  data: {
    providerId: 'prov1',
    payoutId,
    amountMicroUsd: amount.toString(),
    reference: 'UTR',
    approvedBy: 'fin1',
    paidBy: 'fin2',
    paidAt: at,
    postings: [
      { account: 'provider:prov1', amountMicroUsd: amount.toString() },
      { account: 'platform:payouts', amountMicroUsd: (-amount).toString() },
    ],
  },
});
const rejected = (payoutId: string): PayoutEvent => ({ type: 'PayoutRejected', data: { providerId: 'prov1', payoutId, reason: 'bank details', rejectedAt: at } });
const request = (amount: bigint, payoutId = 'next', matured = 100_000_000n) => ({
  type: 'RequestPayout' as const,
  providerId: 'prov1',
  payoutId,
  amountMicroUsd: amount,
  maturedEarningsMicroUsd: matured,
  minimumMicroUsd: 10_000_000n,
  at,
});
const stateOf = (events: PayoutEvent[]): PayoutState => events.reduce(payoutDecider.evolve, payoutDecider.initialState());

describe('payout decider: available = matured earnings − open − paid, from the stream itself', () => {
  it('paid payouts count against the matured earnings, so a lagging ledger balance cannot over-state them', () => {
    const history = [requested('a', 60_000_000n), approved('a'), paid('a', 60_000_000n)];
    expect(stateOf(history)).toMatchObject({ openMicroUsd: 0n, openCount: 0, paidMicroUsd: 60_000_000n });
    given(payoutDecider, history).when(request(40_000_001n)).thenRefuses('payout_exceeds_earnings');
    given(payoutDecider, history)
      .when(request(40_000_000n))
      .then([requested('next', 40_000_000n)]);
  });
  it('open (requested or approved) payouts count; a rejected one frees its amount, a paid one moves to paid', () => {
    expect(availableForPayout(stateOf([requested('a', 30_000_000n), requested('b', 20_000_000n), approved('b')]), 100_000_000n)).toBe(50_000_000n);
    expect(availableForPayout(stateOf([requested('a', 30_000_000n), rejected('a')]), 100_000_000n)).toBe(100_000_000n);
    expect(stateOf([requested('a', 30_000_000n), approved('a'), paid('a', 30_000_000n)])).toMatchObject({ openMicroUsd: 0n, paidMicroUsd: 30_000_000n });
  });
  it('available is never negative (earnings read lower than what was already paid)', () => {
    expect(availableForPayout(stateOf([requested('a', 50_000_000n), approved('a'), paid('a', 50_000_000n)]), 10_000_000n)).toBe(0n);
  });
  it('a replayed close (paid twice, rejected after paid) changes nothing', () => {
    const state = stateOf([requested('a', 30_000_000n), approved('a'), paid('a', 30_000_000n), paid('a', 30_000_000n), rejected('a')]);
    expect(state).toMatchObject({ openMicroUsd: 0n, openCount: 0, paidMicroUsd: 30_000_000n });
    expect(state.payouts.a.status).toBe('paid');
  });
  it('the payout id is the idempotency key: the same amount is a no-op, another amount a conflict', () => {
    given(payoutDecider, [requested('a', 20_000_000n)])
      .when(request(20_000_000n, 'a'))
      .then([]);
    given(payoutDecider, [requested('a', 20_000_000n)])
      .when(request(30_000_000n, 'a'))
      .thenRefuses('payout_id_reused');
    given(payoutDecider, []).when(request(20_000_000n, 'bad id!')).thenRefuses('invalid_id');
  });
  it('at most MAX_OPEN_PAYOUTS wait at once', () => {
    const open = Array.from({ length: MAX_OPEN_PAYOUTS }, (_, i) => requested(`p${i}`, 10_000_000n));
    given(payoutDecider, open)
      .when(request(10_000_000n, 'one-more', 1_000_000_000n))
      .thenRefuses('too_many_open_payouts');
    given(payoutDecider, [...open, rejected('p0')])
      .when(request(10_000_000n, 'one-more', 1_000_000_000n))
      .then([requested('one-more', 10_000_000n)]);
  });
  it('finance: reject needs a reason, paid needs a reference, a paid payout cannot be rejected', () => {
    const history = [requested('a', 20_000_000n), approved('a')];
    given(payoutDecider, history).when({ type: 'RejectPayout', providerId: 'prov1', payoutId: 'a', reason: '  ', at }).thenRefuses('invalid_reason');
    given(payoutDecider, history).when({ type: 'MarkPayoutPaid', providerId: 'prov1', payoutId: 'a', reference: '', paidBy: 'fin2', at }).thenRefuses('invalid_reference');
    given(payoutDecider, [...history, paid('a', 20_000_000n)])
      .when({ type: 'RejectPayout', providerId: 'prov1', payoutId: 'a', reason: 'late', at })
      .thenRefuses('payout_not_open');
    given(payoutDecider, [requested('a', 20_000_000n), rejected('a')])
      .when({ type: 'ApprovePayout', providerId: 'prov1', payoutId: 'a', approverId: 'fin1', at })
      .thenRefuses('payout_not_open');
    given(payoutDecider, []).when({ type: 'ApprovePayout', providerId: 'prov1', payoutId: 'x', approverId: 'fin1', at }).thenRefuses('payout_not_found');
  });
  it('four eyes: approved and paid by two different staff members, neither of them the payee', () => {
    const approve = { type: 'ApprovePayout', providerId: 'prov1', payoutId: 'a', approverId: 'fin1', at } as const;
    const markPaid = { type: 'MarkPayoutPaid', providerId: 'prov1', payoutId: 'a', reference: 'UTR', paidBy: 'fin2', at } as const;
    given(payoutDecider, [requested('a', 20_000_000n)])
      .when({ ...approve, approverId: 'prov1' })
      .thenRefuses('payee_cannot_approve');
    given(payoutDecider, [requested('a', 20_000_000n)])
      .when(approve)
      .then([approved('a')]);
    given(payoutDecider, [requested('a', 20_000_000n), approved('a')])
      .when({ ...markPaid, paidBy: 'fin1' })
      .thenRefuses('second_approver_required');
    given(payoutDecider, [requested('a', 20_000_000n), approved('a')])
      .when({ ...markPaid, paidBy: 'prov1' })
      .thenRefuses('payee_cannot_approve');
    given(payoutDecider, [requested('a', 20_000_000n), approved('a')])
      .when(markPaid)
      .then([paid('a', 20_000_000n)]);
    // A payout approved before the approver was recorded: any staff member but the payee may pay it.
    const legacy: PayoutEvent = { type: 'PayoutApproved', data: { providerId: 'prov1', payoutId: 'a', approvedAt: at } };
    given(payoutDecider, [requested('a', 20_000_000n), legacy])
      .when({ ...markPaid, paidBy: 'fin1' })
      .then([{ ...paid('a', 20_000_000n), data: { ...paid('a', 20_000_000n).data, approvedBy: null, paidBy: 'fin1' } } as PayoutEvent]);
  });
});
