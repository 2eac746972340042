import { MAX_REFUNDS_PER_ORDER, paymentDecider } from '../../src/payments/payment-order/payment.decide';
import { PaymentEvent } from '../../src/payments/payment.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const orderId = 'order_1';
const created: PaymentEvent = {
  type: 'PaymentOrderCreated',
  data: { orderId, accountId: 'acct-1', amountMicroUsd: '25000000', amountCents: 2500, currency: 'USD', receipt: 'tg_r1', createdAt: at },
};
const credited: PaymentEvent = { type: 'PaymentCredited', data: { orderId, paymentId: 'pay_1', accountId: 'acct-1', amountMicroUsd: '25000000', creditedAt: at } };
const requested: PaymentEvent = {
  type: 'RefundRequested',
  data: {
    orderId,
    paymentId: 'pay_1',
    refundId: 'rf_1',
    accountId: 'acct-1',
    amountMicroUsd: '10000000',
    amountCents: 1000,
    reason: 'asked',
    requestedBy: 'admin-1',
    requestedAt: at,
  },
};
const submitted: PaymentEvent = {
  type: 'RefundSubmitted',
  data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', status: 'pending', submittedAt: at },
};

describe('payment order decider', () => {
  it('creates an order once', () => {
    given(paymentDecider, [])
      .when({ type: 'CreateOrder', orderId, accountId: 'acct-1', amountMicroUsd: 25_000_000n, amountCents: 2500, currency: 'USD', receipt: 'tg_r1', at })
      .then([created]);
    given(paymentDecider, [created])
      .when({ type: 'CreateOrder', orderId, accountId: 'acct-1', amountMicroUsd: 1n, amountCents: 1, currency: 'USD', receipt: 'x', at })
      .thenRefuses('order_exists');
  });

  it('records a Razorpay status only when it changes', () => {
    const observe = { type: 'ObservePayment', orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, at } as const;
    given(paymentDecider, [created])
      .when(observe)
      .then([
        {
          type: 'PaymentObserved',
          data: { orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, observedAt: at },
        },
      ]);
    const seen: PaymentEvent = {
      type: 'PaymentObserved',
      data: { orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, observedAt: at },
    };
    given(paymentDecider, [created, seen]).when(observe).then([]);
  });

  it('records a credit once per payment, and only for an order we created', () => {
    given(paymentDecider, [created]).when({ type: 'RecordCredit', orderId, paymentId: 'pay_1', amountMicroUsd: 25_000_000n, at }).then([credited]);
    given(paymentDecider, [created, credited]).when({ type: 'RecordCredit', orderId, paymentId: 'pay_1', amountMicroUsd: 25_000_000n, at }).then([]);
    given(paymentDecider, []).when({ type: 'RecordCredit', orderId, paymentId: 'pay_1', amountMicroUsd: 25_000_000n, at }).thenRefuses('order_not_found');
    // One credit per order: a duplicate payment of it is never recorded as credited.
    given(paymentDecider, [created, credited]).when({ type: 'RecordCredit', orderId, paymentId: 'pay_2', amountMicroUsd: 25_000_000n, at }).thenRefuses('order_already_credited');
  });

  it('reports a discrepancy once per payment and kind', () => {
    const discrepancy = {
      kind: 'amount_mismatch',
      orderId,
      paymentId: 'pay_2',
      accountId: 'acct-1',
      expected: '2500 USD',
      actual: '100 USD',
      source: 'worker',
      runId: null,
    } as const;
    const found: PaymentEvent = { type: 'PaymentDiscrepancyFound', data: { ...discrepancy, foundAt: at } };
    given(paymentDecider, [created]).when({ type: 'RecordDiscrepancy', discrepancy, at }).then([found]);
    given(paymentDecider, [created, found]).when({ type: 'RecordDiscrepancy', discrepancy, at }).then([]);
  });

  it('refunds only credited payments, in whole cents, with a reason', () => {
    const request = {
      type: 'RequestRefund',
      orderId,
      paymentId: 'pay_1',
      refundId: 'rf_1',
      amountMicroUsd: 10_000_000n,
      reason: ' asked ',
      requestedBy: 'admin-1',
      approvalThresholdMicroUsd: 100_000_000n,
      at,
    } as const;
    given(paymentDecider, [created, credited]).when(request).then([requested]);
    given(paymentDecider, [created, credited, requested]).when(request).then([]);
    given(paymentDecider, [created]).when(request).thenRefuses('payment_not_credited');
    given(paymentDecider, [created, credited])
      .when({ ...request, amountMicroUsd: 10_000_001n })
      .thenRefuses('invalid_amount');
    given(paymentDecider, [created, credited])
      .when({ ...request, reason: ' ' })
      .thenRefuses('invalid_reason');
  });

  it('refuses, before anything is recorded, more than is still refundable on the payment, and more refunds than the cap', () => {
    const request = {
      type: 'RequestRefund',
      orderId,
      paymentId: 'pay_1',
      refundId: 'rf_2',
      amountMicroUsd: 15_000_001n,
      reason: 'rest',
      requestedBy: 'admin-1',
      approvalThresholdMicroUsd: 100_000_000n,
      at,
    } as const;
    // 25.00 credited, 10.00 already requested: 15.00 is left.
    given(paymentDecider, [created, credited, requested])
      .when({ ...request, amountMicroUsd: 15_010_000n })
      .thenRefuses('refund_exceeds_payment');
    given(paymentDecider, [created, credited, requested])
      .when({ ...request, amountMicroUsd: 15_000_000n })
      .then([
        {
          type: 'RefundRequested',
          data: {
            orderId,
            paymentId: 'pay_1',
            refundId: 'rf_2',
            accountId: 'acct-1',
            amountMicroUsd: '15000000',
            amountCents: 1500,
            reason: 'rest',
            requestedBy: 'admin-1',
            requestedAt: at,
          },
        },
      ]);
    // A failed refund no longer holds any of the payment.
    const failed: PaymentEvent = { type: 'RefundFailed', data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', razorpayRefundId: null, reason: 'refused', failedAt: at } };
    given(paymentDecider, [created, credited, requested, failed])
      .when({ ...request, amountMicroUsd: 25_000_000n })
      .then([
        {
          type: 'RefundRequested',
          data: {
            orderId,
            paymentId: 'pay_1',
            refundId: 'rf_2',
            accountId: 'acct-1',
            amountMicroUsd: '25000000',
            amountCents: 2500,
            reason: 'rest',
            requestedBy: 'admin-1',
            requestedAt: at,
          },
        },
      ]);
    const many: PaymentEvent[] = Array.from(
      { length: MAX_REFUNDS_PER_ORDER },
      (_, i) => ({ ...requested, data: { ...requested.data, refundId: `rf_many_${i}`, amountMicroUsd: '10000', amountCents: 1 } }) as PaymentEvent,
    );
    given(paymentDecider, [created, credited, ...many])
      .when({ ...request, amountMicroUsd: 10_000n })
      .thenRefuses('too_many_refunds');
  });

  it('four eyes: above the threshold a refund is only a request until another staff member (not the payee) approves', () => {
    const big = {
      type: 'RequestRefund',
      orderId,
      paymentId: 'pay_1',
      refundId: 'rf_big',
      amountMicroUsd: 20_000_000n,
      reason: 'asked',
      requestedBy: 'admin-1',
      approvalThresholdMicroUsd: 15_000_000n,
      at,
    } as const;
    const pending: PaymentEvent = {
      type: 'RefundApprovalRequested',
      data: {
        orderId,
        paymentId: 'pay_1',
        refundId: 'rf_big',
        accountId: 'acct-1',
        amountMicroUsd: '20000000',
        amountCents: 2000,
        reason: 'asked',
        requestedBy: 'admin-1',
        requestedAt: at,
      },
    };
    given(paymentDecider, [created, credited]).when(big).then([pending]);
    given(paymentDecider, [created, credited])
      .when({ ...big, amountMicroUsd: 15_000_000n })
      .then([{ type: 'RefundRequested', data: { ...(pending.data as object), amountMicroUsd: '15000000', amountCents: 1500 } as never }]);
    // The pending request holds its amount: a second one cannot exceed what is left.
    given(paymentDecider, [created, credited, pending])
      .when({ ...big, refundId: 'rf_more', amountMicroUsd: 5_010_000n })
      .thenRefuses('refund_exceeds_payment');
    const approve = { type: 'ApproveRefund', refundId: 'rf_big', approverId: 'admin-2', at } as const;
    const approved: PaymentEvent = {
      type: 'RefundApproved',
      data: { orderId, paymentId: 'pay_1', refundId: 'rf_big', requestedBy: 'admin-1', approvedBy: 'admin-2', approvedAt: at },
    };
    given(paymentDecider, [created, credited, pending])
      .when({ ...approve, approverId: 'admin-1' })
      .thenRefuses('self_approval');
    given(paymentDecider, [created, credited, pending])
      .when({ ...approve, approverId: 'acct-1' })
      .thenRefuses('payee_cannot_approve');
    given(paymentDecider, [created, credited, pending]).when(approve).then([approved]);
    given(paymentDecider, [created, credited, pending, approved]).when(approve).then([]);
    given(paymentDecider, [created, credited, pending, approved])
      .when({ ...approve, approverId: 'admin-3' })
      .thenRefuses('refund_not_pending');
    const rejected: PaymentEvent = {
      type: 'RefundApprovalRejected',
      data: { orderId, paymentId: 'pay_1', refundId: 'rf_big', rejectedBy: 'admin-2', reason: 'no', rejectedAt: at },
    };
    given(paymentDecider, [created, credited, pending]).when({ type: 'RejectRefund', refundId: 'rf_big', rejectedBy: 'admin-2', reason: ' no ', at }).then([rejected]);
    given(paymentDecider, [created, credited, pending, rejected]).when(approve).thenRefuses('refund_rejected');
    // A rejected request gives its amount back.
    given(paymentDecider, [created, credited, pending, rejected])
      .when({ ...big, refundId: 'rf_again', amountMicroUsd: 25_000_000n, approvalThresholdMicroUsd: 100_000_000n })
      .then([{ type: 'RefundRequested', data: { ...(pending.data as object), refundId: 'rf_again', amountMicroUsd: '25000000', amountCents: 2500 } as never }]);
  });

  it('settles a processed refund out of payment clearing, once', () => {
    const settled: PaymentEvent = {
      type: 'RefundSettled',
      data: {
        orderId,
        paymentId: 'pay_1',
        refundId: 'rf_1',
        razorpayRefundId: 'rfnd_1',
        amountMicroUsd: '10000000',
        settledAt: at,
        postings: [
          { account: 'platform:refunds_payable', amountMicroUsd: '10000000' },
          { account: 'platform:payment_clearing', amountMicroUsd: '-10000000' },
        ],
      },
    };
    given(paymentDecider, [created, credited, requested, submitted]).when({ type: 'SettleRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', at }).then([settled]);
    given(paymentDecider, [created, credited, requested, submitted, settled]).when({ type: 'SettleRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', at }).then([]);
    given(paymentDecider, [created, credited, requested, submitted, settled])
      .when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', reason: 'x', at })
      .thenRefuses('refund_settled');
  });

  it('fails a refund once, and a failed refund never settles', () => {
    const failed: PaymentEvent = {
      type: 'RefundFailed',
      data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', reason: 'bank refused', failedAt: at },
    };
    given(paymentDecider, [created, credited, requested, submitted])
      .when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: null, reason: 'bank refused', at })
      .then([failed]);
    given(paymentDecider, [created, credited, requested, submitted, failed]).when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: null, reason: 'again', at }).then([]);
    given(paymentDecider, [created, credited, requested, submitted, failed])
      .when({ type: 'SettleRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', at })
      .thenRefuses('refund_failed');
  });
});
