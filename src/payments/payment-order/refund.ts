import { conflict, forbidden, invalid } from '../../platform/errors/domain-error';
import { PLATFORM_ACCOUNTS } from '../../ledger/ledger-accounts';
import { checkPositiveAmount, formatUsd } from '../../platform/money';
import { assertBalanced, transfer } from '../../ledger/postings';
import { MICRO_USD_PER_CENT, PaymentEvent } from '../payment.events';
import {
  ApproveRefund,
  checkId,
  FailRefund,
  MAX_REFUNDS_PER_ORDER,
  mustOrder,
  mustRefund,
  orderIdOf,
  PaymentOrderState,
  REASON_MAX,
  RecordRefundSubmitted,
  refundableOf,
  RejectRefund,
  RequestRefund,
  SettleRefund,
  short,
} from './payment.state';

/** Staff asks to refund (part of) a credited payment; a large refund waits for a second staff member. */
export function requestRefund(command: RequestRefund, state: PaymentOrderState): PaymentEvent[] {
  // Every check a refund can fail runs here, before any credits move (the service debits only after this event).
  const order = mustOrder(state);
  checkId(command.refundId, 'refundId');
  if (state.refunds[command.refundId]) return [];
  if (Object.keys(state.refunds).length >= MAX_REFUNDS_PER_ORDER) throw conflict('too_many_refunds', `An order has at most ${MAX_REFUNDS_PER_ORDER} refunds.`);
  const payment = state.payments[command.paymentId];
  if (!payment?.credited) throw conflict('payment_not_credited', 'Only a payment that was credited can be refunded.');
  const amount = checkPositiveAmount(command.amountMicroUsd);
  if (amount % MICRO_USD_PER_CENT !== 0n) throw invalid('invalid_amount', 'A refund is in whole cents.');
  const refundable = refundableOf(state, command.paymentId);
  if (amount > refundable) throw conflict('refund_exceeds_payment', `At most ${formatUsd(refundable)} USD of this payment can still be refunded.`);
  const reason = typeof command.reason === 'string' ? command.reason.trim() : '';
  if (!reason || reason.length > REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${REASON_MAX} characters is required; it goes into the audit trail.`);
  const data = {
    orderId: command.orderId,
    paymentId: command.paymentId,
    refundId: command.refundId,
    accountId: order.accountId,
    amountMicroUsd: amount.toString(),
    amountCents: Number(amount / MICRO_USD_PER_CENT),
    reason,
  };
  // Four eyes: a large refund is only a request until another staff member approves it.
  if (amount > command.approvalThresholdMicroUsd) return [{ type: 'RefundApprovalRequested', data: { ...data, requestedBy: command.requestedBy, requestedAt: command.at } }];
  return [{ type: 'RefundRequested', data: { ...data, requestedBy: command.requestedBy, requestedAt: command.at } }];
}

/** A second staff member (not the requester, not the developer refunded) approves a large refund. */
export function approveRefund(command: ApproveRefund, state: PaymentOrderState): PaymentEvent[] {
  const refund = mustRefund(state, command.refundId);
  if (refund.status === 'rejected') throw conflict('refund_rejected', 'This refund request was rejected.');
  if (refund.status !== 'pending_approval') {
    if (refund.approvedBy === command.approverId) return []; // a retry of this approval
    throw conflict('refund_not_pending', `This refund is ${refund.status}; there is nothing to approve.`);
  }
  if (command.approverId === refund.requestedBy) throw forbidden('self_approval', 'A second staff member must approve this refund; the one who requested it cannot.');
  if (command.approverId === refund.accountId) throw forbidden('payee_cannot_approve', 'The developer who is refunded cannot approve the refund.');
  return [
    {
      type: 'RefundApproved',
      data: {
        orderId: orderIdOf(state),
        paymentId: refund.paymentId,
        refundId: command.refundId,
        requestedBy: refund.requestedBy ?? '',
        approvedBy: command.approverId,
        approvedAt: command.at,
      },
    },
  ];
}

/** A large refund request is turned down. */
export function rejectRefund(command: RejectRefund, state: PaymentOrderState): PaymentEvent[] {
  const refund = mustRefund(state, command.refundId);
  if (refund.status === 'rejected') return [];
  if (refund.status !== 'pending_approval') throw conflict('refund_not_pending', `This refund is ${refund.status}; only a pending request can be rejected.`);
  const reason = typeof command.reason === 'string' ? command.reason.trim() : '';
  if (!reason || reason.length > REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${REASON_MAX} characters is required.`);
  return [
    {
      type: 'RefundApprovalRejected',
      data: { orderId: orderIdOf(state), paymentId: refund.paymentId, refundId: command.refundId, rejectedBy: command.rejectedBy, reason, rejectedAt: command.at },
    },
  ];
}

/** The refund was sent to Razorpay, which gave it an id. */
export function recordRefundSubmitted(command: RecordRefundSubmitted, state: PaymentOrderState): PaymentEvent[] {
  const refund = mustRefund(state, command.refundId);
  if (refund.razorpayRefundId !== null) return [];
  return [
    {
      type: 'RefundSubmitted',
      data: {
        orderId: orderIdOf(state),
        paymentId: refund.paymentId,
        refundId: command.refundId,
        razorpayRefundId: checkId(command.razorpayRefundId, 'razorpayRefundId'),
        status: short(command.status) as string,
        submittedAt: command.at,
      },
    },
  ];
}

/** Razorpay paid the customer back. */
export function settleRefund(command: SettleRefund, state: PaymentOrderState): PaymentEvent[] {
  const refund = mustRefund(state, command.refundId);
  if (refund.status === 'settled') return [];
  if (refund.status === 'failed') throw conflict('refund_failed', 'This refund failed and its credits were restored.');
  return [
    {
      type: 'RefundSettled',
      data: {
        orderId: orderIdOf(state),
        paymentId: refund.paymentId,
        refundId: command.refundId,
        razorpayRefundId: checkId(command.razorpayRefundId, 'razorpayRefundId'),
        amountMicroUsd: refund.amountMicroUsd.toString(),
        settledAt: command.at,
        // The customer has been paid back: the liability is settled out of the money we received.
        postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.refundsPayable, PLATFORM_ACCOUNTS.paymentClearing, refund.amountMicroUsd)),
      },
    },
  ];
}

/** Razorpay could not refund; the credits come back to the developer. */
export function failRefund(command: FailRefund, state: PaymentOrderState): PaymentEvent[] {
  const refund = mustRefund(state, command.refundId);
  if (refund.status === 'failed') return [];
  if (refund.status === 'settled') throw conflict('refund_settled', 'This refund was already processed by Razorpay.');
  return [
    {
      type: 'RefundFailed',
      data: {
        orderId: orderIdOf(state),
        paymentId: refund.paymentId,
        refundId: command.refundId,
        razorpayRefundId: command.razorpayRefundId ?? refund.razorpayRefundId,
        reason: short(command.reason) as string,
        failedAt: command.at,
      },
    },
  ];
}
