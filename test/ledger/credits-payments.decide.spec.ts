import { creditsDecider } from '../../src/ledger/credits/credits.decide';
import { CreditsEvent } from '../../src/ledger/credits.events';
import { given } from '../support/decider-spec';

/** The credits events the payments issue added: refunds reversed, disputes frozen, released and lost. */
const at = '2026-11-22T10:00:00.000Z';
const accountId = 'acct-1';
const dev = 'developer:acct-1';

const purchased: CreditsEvent = {
  type: 'CreditsPurchased',
  data: {
    accountId,
    paymentId: 'pay_1',
    orderId: 'order_1',
    amountMicroUsd: '25000000',
    purchasedAt: at,
    postings: [
      { account: 'platform:payment_clearing', amountMicroUsd: '25000000' },
      { account: dev, amountMicroUsd: '-25000000' },
    ],
  },
};
const refunded: CreditsEvent = {
  type: 'CreditsRefunded',
  data: {
    accountId,
    refundId: 'rf_1',
    paymentId: 'pay_1',
    amountMicroUsd: '10000000',
    reason: 'asked',
    holdId: 'rf_1',
    refundedAt: at,
    postings: [
      { account: dev, amountMicroUsd: '10000000' },
      { account: 'platform:refunds_payable', amountMicroUsd: '-10000000' },
    ],
  },
};
const reversed: CreditsEvent = {
  type: 'CreditsRefundReversed',
  data: {
    accountId,
    refundId: 'rf_1',
    paymentId: 'pay_1',
    amountMicroUsd: '10000000',
    reason: 'refund failed at Razorpay',
    reversedAt: at,
    postings: [
      { account: 'platform:refunds_payable', amountMicroUsd: '10000000' },
      { account: dev, amountMicroUsd: '-10000000' },
    ],
  },
};
const frozen = (frozenMicroUsd: bigint, disputed = 20_000_000n): CreditsEvent => ({
  type: 'DisputeFundsFrozen',
  data: {
    accountId,
    disputeId: 'disp_1',
    paymentId: 'pay_1',
    disputedMicroUsd: disputed.toString(),
    frozenMicroUsd: frozenMicroUsd.toString(),
    shortfallMicroUsd: (disputed - frozenMicroUsd).toString(),
    holdId: frozenMicroUsd > 0n ? 'disp_1' : null,
    frozenAt: at,
    postings:
      frozenMicroUsd > 0n
        ? [
            { account: dev, amountMicroUsd: frozenMicroUsd.toString() },
            { account: 'platform:disputes_held', amountMicroUsd: (-frozenMicroUsd).toString() },
          ]
        : [],
  },
});
const freeze = (frozenMicroUsd: bigint, disputedMicroUsd = 20_000_000n) =>
  ({ type: 'FreezeDisputedCredits', accountId, disputeId: 'disp_1', paymentId: 'pay_1', disputedMicroUsd, frozenMicroUsd, at }) as const;

describe('credits decider: payments (refund reversals and disputes)', () => {
  it('credits one payment per order: a second payment of the same order is refused, another order is not', () => {
    const purchase = { type: 'RecordPurchase', accountId, paymentId: 'pay_2', orderId: 'order_1', amountMicroUsd: 25_000_000n, at } as const;
    given(creditsDecider, [purchased]).when(purchase).thenRefuses('order_already_credited');
    given(creditsDecider, [purchased])
      .when({ ...purchase, paymentId: 'pay_1' })
      .then([]);
    given(creditsDecider, [purchased])
      .when({ ...purchase, orderId: 'order_2' })
      .then([{ ...purchased, data: { ...purchased.data, paymentId: 'pay_2', orderId: 'order_2' } }]);
    given(creditsDecider, [purchased])
      .when({ ...purchase, orderId: null })
      .then([{ ...purchased, data: { ...purchased.data, paymentId: 'pay_2', orderId: null } }]);
  });

  describe('refund reversed', () => {
    it('gives the credits back from refunds payable', () =>
      given(creditsDecider, [purchased, refunded]).when({ type: 'ReverseRefund', accountId, refundId: 'rf_1', reason: 'refund failed at Razorpay', at }).then([reversed]));
    it('only once', () => given(creditsDecider, [purchased, refunded, reversed]).when({ type: 'ReverseRefund', accountId, refundId: 'rf_1', reason: 'again', at }).then([]));
    it('refuses an unknown refund', () =>
      given(creditsDecider, [purchased]).when({ type: 'ReverseRefund', accountId, refundId: 'rf_9', reason: 'x', at }).thenRefuses('refund_not_found'));
    it('makes the reversed amount refundable again', () =>
      given(creditsDecider, [purchased, refunded, reversed])
        .when({ type: 'RefundCredits', accountId, refundId: 'rf_2', paymentId: 'pay_1', amountMicroUsd: 25_000_000n, reason: 'all of it', at })
        .then([expect.objectContaining({ type: 'CreditsRefunded' }) as unknown as CreditsEvent]));
  });

  describe('dispute frozen', () => {
    it('freezes what is available into disputes held, through a hold', () =>
      given(creditsDecider, [purchased])
        .when(freeze(20_000_000n))
        .then([frozen(20_000_000n)]));
    it('records the shortfall when the developer already spent part of it', () =>
      given(creditsDecider, [purchased])
        .when(freeze(5_000_000n))
        .then([frozen(5_000_000n)]));
    it('freezes nothing (no postings, no hold) when nothing is available', () =>
      given(creditsDecider, [purchased])
        .when(freeze(0n))
        .then([frozen(0n)]));
    it('once per dispute', () =>
      given(creditsDecider, [purchased, frozen(1n)])
        .when(freeze(20_000_000n))
        .then([]));
    it('refuses more than the disputed amount', () => given(creditsDecider, [purchased]).when(freeze(30_000_000n)).thenRefuses('invalid_amount'));
    it('refuses a dispute larger than the payment', () => given(creditsDecider, [purchased]).when(freeze(0n, 25_000_001n)).thenRefuses('invalid_amount'));
    it('refuses a payment this account never bought', () => given(creditsDecider, []).when(freeze(1n)).thenRefuses('payment_not_found'));
  });

  describe('dispute won', () => {
    it('releases the frozen credits to the developer', () =>
      given(creditsDecider, [purchased, frozen(5_000_000n)])
        .when({ type: 'ReleaseDisputedCredits', accountId, disputeId: 'disp_1', at })
        .then([
          {
            type: 'DisputeFundsReleased',
            data: {
              accountId,
              disputeId: 'disp_1',
              paymentId: 'pay_1',
              amountMicroUsd: '5000000',
              releasedAt: at,
              postings: [
                { account: 'platform:disputes_held', amountMicroUsd: '5000000' },
                { account: dev, amountMicroUsd: '-5000000' },
              ],
            },
          },
        ]));
    it('refuses an unknown dispute', () =>
      given(creditsDecider, [purchased]).when({ type: 'ReleaseDisputedCredits', accountId, disputeId: 'disp_9', at }).thenRefuses('dispute_not_found'));
  });

  describe('dispute lost', () => {
    const lost = (frozenMicroUsd: bigint): CreditsEvent => {
      const writtenOff = 20_000_000n - frozenMicroUsd;
      const postings = [{ account: 'platform:payment_clearing', amountMicroUsd: '-20000000' }];
      if (frozenMicroUsd > 0n) postings.push({ account: 'platform:disputes_held', amountMicroUsd: frozenMicroUsd.toString() });
      if (writtenOff > 0n) postings.push({ account: 'platform:dispute_losses', amountMicroUsd: writtenOff.toString() });
      return {
        type: 'DisputeLost',
        data: {
          accountId,
          disputeId: 'disp_1',
          paymentId: 'pay_1',
          disputedMicroUsd: '20000000',
          frozenMicroUsd: frozenMicroUsd.toString(),
          writtenOffMicroUsd: writtenOff.toString(),
          lostAt: at,
          postings,
        },
      };
    };
    it('the frozen credits pay the bank back out of clearing', () =>
      given(creditsDecider, [purchased, frozen(20_000_000n)])
        .when({ type: 'RecordDisputeLost', accountId, disputeId: 'disp_1', at })
        .then([lost(20_000_000n)]));
    it('the shortfall is written off as the platform loss', () =>
      given(creditsDecider, [purchased, frozen(5_000_000n)])
        .when({ type: 'RecordDisputeLost', accountId, disputeId: 'disp_1', at })
        .then([lost(5_000_000n)]));
    it('once', () =>
      given(creditsDecider, [purchased, frozen(5_000_000n), lost(5_000_000n)])
        .when({ type: 'RecordDisputeLost', accountId, disputeId: 'disp_1', at })
        .then([]));
    it('not after the credits were released', () => {
      const released = creditsDecider.decide(
        { type: 'ReleaseDisputedCredits', accountId, disputeId: 'disp_1', at },
        [purchased, frozen(5n)].reduce(creditsDecider.evolve, creditsDecider.initialState()),
      );
      given(creditsDecider, [purchased, frozen(5n), ...released])
        .when({ type: 'RecordDisputeLost', accountId, disputeId: 'disp_1', at })
        .thenRefuses('dispute_already_released');
    });
  });
});
