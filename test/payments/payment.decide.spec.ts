import { paymentDecider } from '../../src/payments/payment.decide';
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
  data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', accountId: 'acct-1', amountMicroUsd: '10000000', amountCents: 1000, reason: 'asked', requestedAt: at },
};
const submitted: PaymentEvent = { type: 'RefundSubmitted', data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', status: 'pending', submittedAt: at } };

describe('payment order decider', () => {
  it('creates an order once', () => {
    given(paymentDecider, []).when({ type: 'CreateOrder', orderId, accountId: 'acct-1', amountMicroUsd: 25_000_000n, amountCents: 2500, currency: 'USD', receipt: 'tg_r1', at }).then([created]);
    given(paymentDecider, [created]).when({ type: 'CreateOrder', orderId, accountId: 'acct-1', amountMicroUsd: 1n, amountCents: 1, currency: 'USD', receipt: 'x', at }).thenRefuses('order_exists');
  });

  it('records a Razorpay status only when it changes', () => {
    const observe = { type: 'ObservePayment', orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, at } as const;
    given(paymentDecider, [created]).when(observe).then([{ type: 'PaymentObserved', data: { orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, observedAt: at } }]);
    const seen: PaymentEvent = { type: 'PaymentObserved', data: { orderId, paymentId: 'pay_1', status: 'captured', captured: true, amountCents: 2500, currency: 'USD', errorReason: null, observedAt: at } };
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
    const discrepancy = { kind: 'amount_mismatch', orderId, paymentId: 'pay_2', accountId: 'acct-1', expected: '2500 USD', actual: '100 USD', source: 'worker', runId: null } as const;
    const found: PaymentEvent = { type: 'PaymentDiscrepancyFound', data: { ...discrepancy, foundAt: at } };
    given(paymentDecider, [created]).when({ type: 'RecordDiscrepancy', discrepancy, at }).then([found]);
    given(paymentDecider, [created, found]).when({ type: 'RecordDiscrepancy', discrepancy, at }).then([]);
  });

  it('refunds only credited payments, in whole cents, with a reason', () => {
    const request = { type: 'RequestRefund', orderId, paymentId: 'pay_1', refundId: 'rf_1', amountMicroUsd: 10_000_000n, reason: ' asked ', at } as const;
    given(paymentDecider, [created, credited]).when(request).then([requested]);
    given(paymentDecider, [created, credited, requested]).when(request).then([]);
    given(paymentDecider, [created]).when(request).thenRefuses('payment_not_credited');
    given(paymentDecider, [created, credited]).when({ ...request, amountMicroUsd: 10_000_001n }).thenRefuses('invalid_amount');
    given(paymentDecider, [created, credited]).when({ ...request, reason: ' ' }).thenRefuses('invalid_reason');
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
    given(paymentDecider, [created, credited, requested, submitted, settled]).when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', reason: 'x', at }).thenRefuses('refund_settled');
  });

  it('fails a refund once, and a failed refund never settles', () => {
    const failed: PaymentEvent = { type: 'RefundFailed', data: { orderId, paymentId: 'pay_1', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', reason: 'bank refused', failedAt: at } };
    given(paymentDecider, [created, credited, requested, submitted]).when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: null, reason: 'bank refused', at }).then([failed]);
    given(paymentDecider, [created, credited, requested, submitted, failed]).when({ type: 'FailRefund', refundId: 'rf_1', razorpayRefundId: null, reason: 'again', at }).then([]);
    given(paymentDecider, [created, credited, requested, submitted, failed]).when({ type: 'SettleRefund', refundId: 'rf_1', razorpayRefundId: 'rfnd_1', at }).thenRefuses('refund_failed');
  });
});
