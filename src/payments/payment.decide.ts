import { conflict, forbidden, invalid, notFound } from '../platform/http/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { PLATFORM_ACCOUNTS } from '../ledger/ledger-accounts';
import { checkPositiveAmount, formatUsd } from '../platform/money';
import { assertBalanced, transfer } from '../ledger/postings';
import { DiscrepancyData, DiscrepancyKind, MICRO_USD_PER_CENT, PaymentEvent } from './payment.events';

/** Razorpay ids and our refund ids: short, plain. */
const ID = /^[0-9A-Za-z_-]{1,64}$/;
const TEXT_MAX = 200;
/** A stream holds at most this many payment attempts and refunds (Razorpay allows a few attempts per order). */
export const MAX_PAYMENTS_PER_ORDER = 50;
export const MAX_REFUNDS_PER_ORDER = 50;

export interface OrderInfo {
  accountId: string;
  amountMicroUsd: bigint;
  amountCents: number;
  currency: string;
}

export interface PaymentInfo {
  status: string | null;
  credited: boolean;
  creditedMicroUsd: bigint;
  checkoutVerified: boolean;
  discrepancies: DiscrepancyKind[];
}

/** pending_approval: above the approval threshold, waiting for a second staff member; rejected: they said no. */
export type RefundStatus = 'pending_approval' | 'rejected' | 'requested' | 'submitted' | 'settled' | 'failed';

export interface RefundInfo {
  paymentId: string;
  accountId: string;
  amountMicroUsd: bigint;
  reason: string;
  /** Who asked (null for refunds recorded before this was kept), and who approved a large one. */
  requestedBy: string | null;
  approvedBy: string | null;
  razorpayRefundId: string | null;
  status: RefundStatus;
}

/** Refunds that no longer hold any of the payment: failed at Razorpay, or rejected by the second approver. */
const RELEASED: ReadonlySet<RefundStatus> = new Set(['failed', 'rejected']);
const REASON_MAX = 500;

export interface PaymentOrderState {
  orderId: string | null;
  order: OrderInfo | null;
  payments: Record<string, PaymentInfo>;
  refunds: Record<string, RefundInfo>;
}

export type PaymentCommand =
  | { type: 'CreateOrder'; orderId: string; accountId: string; amountMicroUsd: bigint; amountCents: number; currency: string; receipt: string; at: string }
  | { type: 'VerifyCheckout'; orderId: string; paymentId: string; at: string }
  | { type: 'ObservePayment'; orderId: string; paymentId: string; status: string; captured: boolean; amountCents: number; currency: string; errorReason: string | null; at: string }
  | { type: 'RecordCredit'; orderId: string; paymentId: string; amountMicroUsd: bigint; at: string }
  | { type: 'RecordDiscrepancy'; discrepancy: Omit<DiscrepancyData, 'foundAt'>; at: string }
  /** Above `approvalThresholdMicroUsd` the request waits for ApproveRefund by another staff member. */
  | { type: 'RequestRefund'; orderId: string; paymentId: string; refundId: string; amountMicroUsd: bigint; reason: string; requestedBy: string; approvalThresholdMicroUsd: bigint; at: string }
  | { type: 'ApproveRefund'; refundId: string; approverId: string; at: string }
  | { type: 'RejectRefund'; refundId: string; rejectedBy: string; reason: string; at: string }
  | { type: 'RecordRefundSubmitted'; refundId: string; razorpayRefundId: string; status: string; at: string }
  | { type: 'SettleRefund'; refundId: string; razorpayRefundId: string; at: string }
  | { type: 'FailRefund'; refundId: string; razorpayRefundId: string | null; reason: string; at: string };

const initialState = (): PaymentOrderState => ({ orderId: null, order: null, payments: {}, refunds: {} });
const noPayment = (): PaymentInfo => ({ status: null, credited: false, creditedMicroUsd: 0n, checkoutVerified: false, discrepancies: [] });

function checkId(id: string, field: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw invalid('invalid_id', `${field} must be 1..64 letters, digits, '-' or '_'.`);
  return id;
}

const short = (text: string | null): string | null => (text === null ? null : text.slice(0, TEXT_MAX));

function mustOrder(state: PaymentOrderState): OrderInfo {
  if (!state.order) throw notFound('order_not_found', 'No such payment order.');
  return state.order;
}

function paymentSlot(state: PaymentOrderState, paymentId: string): PaymentInfo {
  const known = state.payments[paymentId];
  if (known) return known;
  if (Object.keys(state.payments).length >= MAX_PAYMENTS_PER_ORDER) throw conflict('too_many_payments', 'This order has too many payment attempts.');
  return noPayment();
}

function mustRefund(state: PaymentOrderState, refundId: string): RefundInfo {
  const refund = state.refunds[refundId];
  if (!refund) throw notFound('refund_not_found', 'No refund with this id on this order.');
  return refund;
}

function decide(command: PaymentCommand, state: PaymentOrderState): PaymentEvent[] {
  switch (command.type) {
    case 'CreateOrder': {
      if (state.order) throw conflict('order_exists', 'This payment order already exists.');
      checkId(command.orderId, 'orderId');
      const amount = checkPositiveAmount(command.amountMicroUsd);
      return [{
        type: 'PaymentOrderCreated',
        data: { orderId: command.orderId, accountId: command.accountId, amountMicroUsd: amount.toString(), amountCents: command.amountCents, currency: command.currency, receipt: command.receipt, createdAt: command.at },
      }];
    }
    case 'VerifyCheckout': {
      mustOrder(state);
      const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
      if (payment.checkoutVerified) return [];
      return [{ type: 'CheckoutSignatureVerified', data: { orderId: command.orderId, paymentId: command.paymentId, verifiedAt: command.at } }];
    }
    case 'ObservePayment': {
      const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
      if (payment.status === command.status) return [];
      return [{
        type: 'PaymentObserved',
        data: {
          orderId: command.orderId,
          paymentId: command.paymentId,
          status: short(command.status) as string,
          captured: command.captured === true,
          amountCents: command.amountCents,
          currency: short(command.currency) as string,
          errorReason: short(command.errorReason),
          observedAt: command.at,
        },
      }];
    }
    case 'RecordCredit': {
      const order = mustOrder(state);
      const payment = paymentSlot(state, checkId(command.paymentId, 'paymentId'));
      if (payment.credited) return [];
      if (creditedPaymentOf(state) !== null) throw conflict('order_already_credited', 'Another payment of this order was already credited.');
      return [{ type: 'PaymentCredited', data: { orderId: command.orderId, paymentId: command.paymentId, accountId: order.accountId, amountMicroUsd: checkPositiveAmount(command.amountMicroUsd).toString(), creditedAt: command.at } }];
    }
    case 'RecordDiscrepancy': {
      const d = command.discrepancy;
      // Once per payment and kind: every retry and sweep that sees the same problem reports it once.
      if (d.paymentId !== null && state.payments[d.paymentId]?.discrepancies.includes(d.kind)) return [];
      if (d.paymentId !== null) paymentSlot(state, checkId(d.paymentId, 'paymentId'));
      return [{ type: 'PaymentDiscrepancyFound', data: { ...d, expected: short(d.expected), actual: short(d.actual), foundAt: command.at } }];
    }
    case 'RequestRefund': {
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
      const data = { orderId: command.orderId, paymentId: command.paymentId, refundId: command.refundId, accountId: order.accountId, amountMicroUsd: amount.toString(), amountCents: Number(amount / MICRO_USD_PER_CENT), reason };
      // Four eyes: a large refund is only a request until another staff member approves it.
      if (amount > command.approvalThresholdMicroUsd) return [{ type: 'RefundApprovalRequested', data: { ...data, requestedBy: command.requestedBy, requestedAt: command.at } }];
      return [{ type: 'RefundRequested', data: { ...data, requestedBy: command.requestedBy, requestedAt: command.at } }];
    }
    case 'ApproveRefund': {
      const refund = mustRefund(state, command.refundId);
      if (refund.status === 'rejected') throw conflict('refund_rejected', 'This refund request was rejected.');
      if (refund.status !== 'pending_approval') {
        if (refund.approvedBy === command.approverId) return []; // a retry of this approval
        throw conflict('refund_not_pending', `This refund is ${refund.status}; there is nothing to approve.`);
      }
      if (command.approverId === refund.requestedBy) throw forbidden('self_approval', 'A second staff member must approve this refund; the one who requested it cannot.');
      if (command.approverId === refund.accountId) throw forbidden('payee_cannot_approve', 'The developer who is refunded cannot approve the refund.');
      return [{ type: 'RefundApproved', data: { orderId: orderIdOf(state), paymentId: refund.paymentId, refundId: command.refundId, requestedBy: refund.requestedBy ?? '', approvedBy: command.approverId, approvedAt: command.at } }];
    }
    case 'RejectRefund': {
      const refund = mustRefund(state, command.refundId);
      if (refund.status === 'rejected') return [];
      if (refund.status !== 'pending_approval') throw conflict('refund_not_pending', `This refund is ${refund.status}; only a pending request can be rejected.`);
      const reason = typeof command.reason === 'string' ? command.reason.trim() : '';
      if (!reason || reason.length > REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${REASON_MAX} characters is required.`);
      return [{ type: 'RefundApprovalRejected', data: { orderId: orderIdOf(state), paymentId: refund.paymentId, refundId: command.refundId, rejectedBy: command.rejectedBy, reason, rejectedAt: command.at } }];
    }
    case 'RecordRefundSubmitted': {
      const refund = mustRefund(state, command.refundId);
      if (refund.razorpayRefundId !== null) return [];
      return [{
        type: 'RefundSubmitted',
        data: { orderId: orderIdOf(state), paymentId: refund.paymentId, refundId: command.refundId, razorpayRefundId: checkId(command.razorpayRefundId, 'razorpayRefundId'), status: short(command.status) as string, submittedAt: command.at },
      }];
    }
    case 'SettleRefund': {
      const refund = mustRefund(state, command.refundId);
      if (refund.status === 'settled') return [];
      if (refund.status === 'failed') throw conflict('refund_failed', 'This refund failed and its credits were restored.');
      return [{
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
      }];
    }
    case 'FailRefund': {
      const refund = mustRefund(state, command.refundId);
      if (refund.status === 'failed') return [];
      if (refund.status === 'settled') throw conflict('refund_settled', 'This refund was already processed by Razorpay.');
      return [{
        type: 'RefundFailed',
        data: { orderId: orderIdOf(state), paymentId: refund.paymentId, refundId: command.refundId, razorpayRefundId: command.razorpayRefundId ?? refund.razorpayRefundId, reason: short(command.reason) as string, failedAt: command.at },
      }];
    }
    default:
      return assertNever(command);
  }
}

/** What of a credited payment is still refundable: credited, less every refund that still holds part of it (pending approval included). */
export function refundableOf(state: PaymentOrderState, paymentId: string): bigint {
  const payment = state.payments[paymentId];
  if (!payment?.credited) return 0n;
  const held = Object.values(state.refunds).filter((r) => r.paymentId === paymentId && !RELEASED.has(r.status)).reduce((sum, r) => sum + r.amountMicroUsd, 0n);
  return payment.creditedMicroUsd - held;
}

/** The payment this order was credited for, if any: an order is paid for once. */
export function creditedPaymentOf(state: PaymentOrderState): string | null {
  return Object.entries(state.payments).find(([, p]) => p.credited)?.[0] ?? null;
}

/** Refund commands name only the refund; the order id is the stream's, remembered from its creation. */
const orderIdOf = (state: PaymentOrderState): string => state.orderId ?? '';

function evolve(state: PaymentOrderState, event: PaymentEvent): PaymentOrderState {
  const withPayment = (paymentId: string, change: (p: PaymentInfo) => PaymentInfo): PaymentOrderState => ({
    ...state,
    payments: { ...state.payments, [paymentId]: change(state.payments[paymentId] ?? noPayment()) },
  });
  const withRefund = (refundId: string, change: (r: RefundInfo) => RefundInfo): PaymentOrderState => {
    const refund = state.refunds[refundId];
    return refund ? { ...state, refunds: { ...state.refunds, [refundId]: change(refund) } } : state;
  };
  switch (event.type) {
    case 'PaymentOrderCreated': {
      const d = event.data;
      return { ...state, orderId: d.orderId, order: { accountId: d.accountId, amountMicroUsd: BigInt(d.amountMicroUsd), amountCents: d.amountCents, currency: d.currency } };
    }
    case 'CheckoutSignatureVerified':
      return withPayment(event.data.paymentId, (p) => ({ ...p, checkoutVerified: true }));
    case 'PaymentObserved':
      return withPayment(event.data.paymentId, (p) => ({ ...p, status: event.data.status }));
    case 'PaymentCredited':
      return withPayment(event.data.paymentId, (p) => ({ ...p, credited: true, creditedMicroUsd: BigInt(event.data.amountMicroUsd) }));
    case 'PaymentDiscrepancyFound': {
      const { paymentId, kind } = event.data;
      return paymentId ? withPayment(paymentId, (p) => ({ ...p, discrepancies: [...p.discrepancies, kind] })) : state;
    }
    case 'RefundRequested':
    case 'RefundApprovalRequested': {
      const d = event.data;
      const refund: RefundInfo = {
        paymentId: d.paymentId,
        accountId: d.accountId,
        amountMicroUsd: BigInt(d.amountMicroUsd),
        reason: d.reason,
        requestedBy: d.requestedBy ?? null,
        approvedBy: null,
        razorpayRefundId: null,
        status: event.type === 'RefundRequested' ? 'requested' : 'pending_approval',
      };
      return { ...state, refunds: { ...state.refunds, [d.refundId]: refund } };
    }
    case 'RefundApproved':
      return withRefund(event.data.refundId, (r) => ({ ...r, status: 'requested', approvedBy: event.data.approvedBy }));
    case 'RefundApprovalRejected':
      return withRefund(event.data.refundId, (r) => ({ ...r, status: 'rejected' }));
    case 'RefundSubmitted':
      return withRefund(event.data.refundId, (r) => ({ ...r, razorpayRefundId: event.data.razorpayRefundId, status: r.status === 'requested' ? 'submitted' : r.status }));
    case 'RefundSettled':
      return withRefund(event.data.refundId, (r) => ({ ...r, razorpayRefundId: event.data.razorpayRefundId, status: 'settled' }));
    case 'RefundFailed':
      return withRefund(event.data.refundId, (r) => ({ ...r, status: 'failed' }));
    default:
      return state;
  }
}

export const paymentDecider: Decider<PaymentOrderState, PaymentCommand, PaymentEvent> = { initialState, decide, evolve };
