import { creditsDecider } from '../../src/ledger/credits.decide';
import { CreditsEvent } from '../../src/ledger/credits.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const accountId = 'acct-1';
const dev = 'developer:acct-1';

const purchased = (paymentId: string, amount: bigint): CreditsEvent => ({
  type: 'CreditsPurchased',
  data: {
    accountId,
    paymentId,
    orderId: 'order_1',
    amountMicroUsd: amount.toString(),
    purchasedAt: at,
    postings: [
      { account: 'platform:payment_clearing', amountMicroUsd: amount.toString() },
      { account: dev, amountMicroUsd: (-amount).toString() },
    ],
  },
});

describe('credits decider', () => {
  describe('purchase credited', () => {
    it('credits the developer against payment clearing', () =>
      given(creditsDecider, []).when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 25_000_000n, at }).then([purchased('pay_1', 25_000_000n)]));
    it('is a no-op for a payment already credited (exactly once)', () =>
      given(creditsDecider, [purchased('pay_1', 25_000_000n)]).when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 25_000_000n, at }).then([]));
    it('refuses the same payment with another amount', () =>
      given(creditsDecider, [purchased('pay_1', 25_000_000n)]).when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 1n, at }).thenRefuses('payment_amount_mismatch'));
    it('refuses a zero amount', () => given(creditsDecider, []).when({ type: 'RecordPurchase', accountId, paymentId: 'pay_2', orderId: null, amountMicroUsd: 0n, at }).thenRefuses('invalid_amount'));
  });

  describe('admin grant and correction', () => {
    it('records a grant with its reason', () =>
      given(creditsDecider, []).when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5_000_000n, reason: ' goodwill ', at }).then([
        {
          type: 'CreditsGranted',
          data: { accountId, grantId: 'g1', amountMicroUsd: '5000000', reason: 'goodwill', grantedAt: at, postings: [{ account: 'platform:promotions', amountMicroUsd: '5000000' }, { account: dev, amountMicroUsd: '-5000000' }] },
        },
      ]));
    it('requires a reason', () => given(creditsDecider, []).when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: '  ', at }).thenRefuses('invalid_reason'));
    it('a retried grant id is a no-op', () => {
      const events = creditsDecider.decide({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: 'x', at }, creditsDecider.initialState());
      given(creditsDecider, events).when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: 'x', at }).then([]);
    });
    it('a negative correction debits the developer through a hold', () =>
      given(creditsDecider, []).when({ type: 'CorrectCredits', accountId, correctionId: 'c1', amountMicroUsd: -2_000_000n, reason: 'double grant', at }).then([
        {
          type: 'CreditsCorrected',
          data: {
            accountId,
            correctionId: 'c1',
            amountMicroUsd: '-2000000',
            reason: 'double grant',
            holdId: 'c1',
            correctedAt: at,
            postings: [{ account: dev, amountMicroUsd: '2000000' }, { account: 'platform:corrections', amountMicroUsd: '-2000000' }],
          },
        },
      ]));
    it('a positive correction needs no hold', () => {
      const [event] = creditsDecider.decide({ type: 'CorrectCredits', accountId, correctionId: 'c2', amountMicroUsd: 3n, reason: 'missed credit', at }, creditsDecider.initialState());
      expect(event.data).toMatchObject({ holdId: null, postings: [{ account: 'platform:corrections', amountMicroUsd: '3' }, { account: dev, amountMicroUsd: '-3' }] });
    });
    it('refuses a zero correction', () => given(creditsDecider, []).when({ type: 'CorrectCredits', accountId, correctionId: 'c3', amountMicroUsd: 0n, reason: 'x', at }).thenRefuses('invalid_amount'));
  });

  describe('refund', () => {
    it('debits the developer into refunds payable, up to what the payment brought', () => {
      const [event] = creditsDecider.decide(
        { type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_1', amountMicroUsd: 10_000_000n, reason: 'asked', at },
        [purchased('pay_1', 25_000_000n)].reduce(creditsDecider.evolve, creditsDecider.initialState()),
      );
      expect(event).toMatchObject({ type: 'CreditsRefunded', data: { holdId: 'r1', postings: [{ account: dev, amountMicroUsd: '10000000' }, { account: 'platform:refunds_payable', amountMicroUsd: '-10000000' }] } });
    });
    it('never refunds more than the payment, counting earlier refunds', () => {
      const first = creditsDecider.decide({ type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_1', amountMicroUsd: 20_000_000n, reason: 'a', at }, [purchased('pay_1', 25_000_000n)].reduce(creditsDecider.evolve, creditsDecider.initialState()));
      given(creditsDecider, [purchased('pay_1', 25_000_000n), ...first]).when({ type: 'RefundCredits', accountId, refundId: 'r2', paymentId: 'pay_1', amountMicroUsd: 5_000_001n, reason: 'b', at }).thenRefuses('refund_exceeds_payment');
    });
    it('refuses an unknown payment', () => given(creditsDecider, []).when({ type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_x', amountMicroUsd: 1n, reason: 'a', at }).thenRefuses('payment_not_found'));
  });

  it('every event it emits balances to zero', () => {
    const commands = [
      { type: 'RecordPurchase', accountId, paymentId: 'p', orderId: null, amountMicroUsd: 7n, at },
      { type: 'GrantFreeTier', accountId, amountMicroUsd: 3n, at },
      { type: 'GrantCredits', accountId, grantId: 'g', amountMicroUsd: 9n, reason: 'r', at },
      { type: 'CorrectCredits', accountId, correctionId: 'c', amountMicroUsd: -4n, reason: 'r', at },
    ] as const;
    let state = creditsDecider.initialState();
    for (const command of commands) {
      for (const event of creditsDecider.decide(command, state)) {
        expect(event.data.postings.reduce((sum, p) => sum + BigInt(p.amountMicroUsd), 0n)).toBe(0n);
        state = creditsDecider.evolve(state, event);
      }
    }
  });
});
