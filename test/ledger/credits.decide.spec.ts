import { Posting } from '../../src/ledger/postings';
import { creditsDecider } from '../../src/ledger/credits/credits.decide';
import { CreditsEvent } from '../../src/ledger/credits.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';

/** Staff commands below the four-eyes threshold apply at once. */
const staff = { requestedBy: 'staff-1', approvalThresholdMicroUsd: 1_000_000_000n } as const;
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
      given(creditsDecider, [])
        .when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 25_000_000n, at })
        .then([purchased('pay_1', 25_000_000n)]));
    it('is a no-op for a payment already credited (exactly once)', () =>
      given(creditsDecider, [purchased('pay_1', 25_000_000n)])
        .when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 25_000_000n, at })
        .then([]));
    it('refuses the same payment with another amount', () =>
      given(creditsDecider, [purchased('pay_1', 25_000_000n)])
        .when({ type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 1n, at })
        .thenRefuses('payment_amount_mismatch'));
    it('refuses a zero amount', () =>
      given(creditsDecider, []).when({ type: 'RecordPurchase', accountId, paymentId: 'pay_2', orderId: null, amountMicroUsd: 0n, at }).thenRefuses('invalid_amount'));
  });

  describe('admin grant and correction', () => {
    it('records a grant with its reason', () =>
      given(creditsDecider, [])
        .when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5_000_000n, reason: ' goodwill ', ...staff, at })
        .then([
          {
            type: 'CreditsGranted',
            data: {
              accountId,
              grantId: 'g1',
              amountMicroUsd: '5000000',
              reason: 'goodwill',
              grantedAt: at,
              postings: [
                { account: 'platform:promotions', amountMicroUsd: '5000000' },
                { account: dev, amountMicroUsd: '-5000000' },
              ],
            },
          },
        ]));
    it('requires a reason', () =>
      given(creditsDecider, [])
        .when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: '  ', ...staff, at })
        .thenRefuses('invalid_reason'));
    it('a retried grant id is a no-op', () => {
      const events = creditsDecider.decide({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: 'x', ...staff, at }, creditsDecider.initialState());
      given(creditsDecider, events)
        .when({ type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5n, reason: 'x', ...staff, at })
        .then([]);
    });
    it('a negative correction debits the developer through a hold', () =>
      given(creditsDecider, [])
        .when({ type: 'CorrectCredits', accountId, correctionId: 'c1', amountMicroUsd: -2_000_000n, reason: 'double grant', ...staff, at })
        .then([
          {
            type: 'CreditsCorrected',
            data: {
              accountId,
              correctionId: 'c1',
              amountMicroUsd: '-2000000',
              reason: 'double grant',
              holdId: 'c1',
              correctedAt: at,
              postings: [
                { account: dev, amountMicroUsd: '2000000' },
                { account: 'platform:corrections', amountMicroUsd: '-2000000' },
              ],
            },
          },
        ]));
    it('a positive correction needs no hold', () => {
      const [event] = creditsDecider.decide(
        { type: 'CorrectCredits', accountId, correctionId: 'c2', amountMicroUsd: 3n, reason: 'missed credit', ...staff, at },
        creditsDecider.initialState(),
      );
      expect(event.data).toMatchObject({
        holdId: null,
        postings: [
          { account: 'platform:corrections', amountMicroUsd: '3' },
          { account: dev, amountMicroUsd: '-3' },
        ],
      });
    });
    it('refuses a zero correction', () =>
      given(creditsDecider, [])
        .when({ type: 'CorrectCredits', accountId, correctionId: 'c3', amountMicroUsd: 0n, reason: 'x', ...staff, at })
        .thenRefuses('invalid_amount'));
  });

  describe('four eyes on grants and corrections that add credits', () => {
    const threshold = { requestedBy: 'staff-1', approvalThresholdMicroUsd: 100_000_000n } as const;
    const grant = { type: 'GrantCredits', accountId, grantId: 'g9', amountMicroUsd: 150_000_000n, reason: 'launch partner', ...threshold, at } as const;
    const requested: CreditsEvent = {
      type: 'CreditOperationRequested',
      data: { accountId, operationId: 'g9', kind: 'grant', amountMicroUsd: '150000000', reason: 'launch partner', requestedBy: 'staff-1', requestedAt: at },
    };
    const approve = { type: 'ApproveCreditOperation', accountId, operationId: 'g9', approverId: 'staff-2', at } as const;

    it('above the threshold a grant is only a request; at the threshold it applies', () => {
      given(creditsDecider, []).when(grant).then([requested]);
      given(creditsDecider, [requested]).when(grant).then([]); // a retried request
      given(creditsDecider, [])
        .when({ ...grant, amountMicroUsd: 100_000_000n })
        .then([
          {
            type: 'CreditsGranted',
            data: {
              accountId,
              grantId: 'g9',
              amountMicroUsd: '100000000',
              reason: 'launch partner',
              grantedAt: at,
              postings: [
                { account: 'platform:promotions', amountMicroUsd: '100000000' },
                { account: dev, amountMicroUsd: '-100000000' },
              ],
            },
          },
        ]);
    });
    it('another staff member approves: the grant is applied once, naming both', () => {
      const granted: CreditsEvent = {
        type: 'CreditsGranted',
        data: {
          accountId,
          grantId: 'g9',
          amountMicroUsd: '150000000',
          reason: 'launch partner',
          grantedAt: at,
          requestedBy: 'staff-1',
          approvedBy: 'staff-2',
          postings: [
            { account: 'platform:promotions', amountMicroUsd: '150000000' },
            { account: dev, amountMicroUsd: '-150000000' },
          ],
        },
      };
      given(creditsDecider, [requested]).when(approve).then([granted]);
      given(creditsDecider, [requested, granted]).when(approve).then([]);
      given(creditsDecider, [requested, granted]).when(grant).then([]);
    });
    it('the requester and the payee cannot approve; a rejected request stays rejected', () => {
      given(creditsDecider, [requested])
        .when({ ...approve, approverId: 'staff-1' })
        .thenRefuses('self_approval');
      given(creditsDecider, [requested])
        .when({ ...approve, approverId: accountId })
        .thenRefuses('payee_cannot_approve');
      given(creditsDecider, []).when(approve).thenRefuses('approval_not_found');
      const rejected: CreditsEvent = {
        type: 'CreditOperationRejected',
        data: { accountId, operationId: 'g9', kind: 'grant', reason: 'not agreed', rejectedBy: 'staff-2', rejectedAt: at },
      };
      given(creditsDecider, [requested]).when({ type: 'RejectCreditOperation', accountId, operationId: 'g9', rejectedBy: 'staff-2', reason: ' not agreed ', at }).then([rejected]);
      given(creditsDecider, [requested, rejected]).when(approve).thenRefuses('approval_rejected');
    });
    it('a correction that adds credits needs approval above the threshold; one that takes them away never does', () => {
      given(creditsDecider, [])
        .when({ type: 'CorrectCredits', accountId, correctionId: 'c9', amountMicroUsd: 150_000_000n, reason: 'outage', ...threshold, at })
        .then([
          {
            type: 'CreditOperationRequested',
            data: { accountId, operationId: 'c9', kind: 'correction', amountMicroUsd: '150000000', reason: 'outage', requestedBy: 'staff-1', requestedAt: at },
          },
        ]);
      const [taken] = creditsDecider.decide(
        { type: 'CorrectCredits', accountId, correctionId: 'c10', amountMicroUsd: -150_000_000n, reason: 'clawback', ...threshold, at },
        creditsDecider.initialState(),
      );
      expect(taken.type).toBe('CreditsCorrected');
    });
  });

  describe('refund', () => {
    it('debits the developer into refunds payable, up to what the payment brought', () => {
      const [event] = creditsDecider.decide(
        { type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_1', amountMicroUsd: 10_000_000n, reason: 'asked', at },
        [purchased('pay_1', 25_000_000n)].reduce(creditsDecider.evolve, creditsDecider.initialState()),
      );
      expect(event).toMatchObject({
        type: 'CreditsRefunded',
        data: {
          holdId: 'r1',
          postings: [
            { account: dev, amountMicroUsd: '10000000' },
            { account: 'platform:refunds_payable', amountMicroUsd: '-10000000' },
          ],
        },
      });
    });
    it('never refunds more than the payment, counting earlier refunds', () => {
      const first = creditsDecider.decide(
        { type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_1', amountMicroUsd: 20_000_000n, reason: 'a', at },
        [purchased('pay_1', 25_000_000n)].reduce(creditsDecider.evolve, creditsDecider.initialState()),
      );
      given(creditsDecider, [purchased('pay_1', 25_000_000n), ...first])
        .when({ type: 'RefundCredits', accountId, refundId: 'r2', paymentId: 'pay_1', amountMicroUsd: 5_000_001n, reason: 'b', at })
        .thenRefuses('refund_exceeds_payment');
    });
    it('refuses an unknown payment', () =>
      given(creditsDecider, [])
        .when({ type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_x', amountMicroUsd: 1n, reason: 'a', at })
        .thenRefuses('payment_not_found'));
  });

  it('every event it emits balances to zero', () => {
    const commands = [
      { type: 'RecordPurchase', accountId, paymentId: 'p', orderId: null, amountMicroUsd: 7n, at },
      { type: 'GrantFreeTier', accountId, amountMicroUsd: 3n, at },
      { type: 'GrantCredits', accountId, grantId: 'g', amountMicroUsd: 9n, reason: 'r', ...staff, at },
      { type: 'CorrectCredits', accountId, correctionId: 'c', amountMicroUsd: -4n, reason: 'r', ...staff, at },
    ] as const;
    let state = creditsDecider.initialState();
    for (const command of commands) {
      for (const event of creditsDecider.decide(command, state)) {
        expect((event.data as { postings: Posting[] }).postings.reduce((sum, p) => sum + BigInt(p.amountMicroUsd), 0n)).toBe(0n);
        state = creditsDecider.evolve(state, event);
      }
    }
  });
});
