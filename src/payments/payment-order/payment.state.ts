import { conflict, invalid, notFound } from '../../platform/errors/domain-error';
import { DiscrepancyData, DiscrepancyKind, PaymentEvent } from '../payment.events';

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
export const REASON_MAX = 500;

export interface PaymentOrderState {
  orderId: string | null;
  order: OrderInfo | null;
  payments: Record<string, PaymentInfo>;
  refunds: Record<string, RefundInfo>;
}

export type CreateOrder = { type: 'CreateOrder'; orderId: string; accountId: string; amountMicroUsd: bigint; amountCents: number; currency: string; receipt: string; at: string };
export type VerifyCheckout = { type: 'VerifyCheckout'; orderId: string; paymentId: string; at: string };
export type ObservePayment = {
  type: 'ObservePayment';
  orderId: string;
  paymentId: string;
  status: string;
  captured: boolean;
  amountCents: number;
  currency: string;
  errorReason: string | null;
  at: string;
};
export type RecordCredit = { type: 'RecordCredit'; orderId: string; paymentId: string; amountMicroUsd: bigint; at: string };
export type RecordDiscrepancy = { type: 'RecordDiscrepancy'; discrepancy: Omit<DiscrepancyData, 'foundAt'>; at: string };
/** Above `approvalThresholdMicroUsd` the request waits for ApproveRefund by another staff member. */
export type RequestRefund = {
  type: 'RequestRefund';
  orderId: string;
  paymentId: string;
  refundId: string;
  amountMicroUsd: bigint;
  reason: string;
  requestedBy: string;
  approvalThresholdMicroUsd: bigint;
  at: string;
};
export type ApproveRefund = { type: 'ApproveRefund'; refundId: string; approverId: string; at: string };
export type RejectRefund = { type: 'RejectRefund'; refundId: string; rejectedBy: string; reason: string; at: string };
export type RecordRefundSubmitted = { type: 'RecordRefundSubmitted'; refundId: string; razorpayRefundId: string; status: string; at: string };
export type SettleRefund = { type: 'SettleRefund'; refundId: string; razorpayRefundId: string; at: string };
export type FailRefund = { type: 'FailRefund'; refundId: string; razorpayRefundId: string | null; reason: string; at: string };

export type PaymentCommand =
  | CreateOrder
  | VerifyCheckout
  | ObservePayment
  | RecordCredit
  | RecordDiscrepancy
  | RequestRefund
  | ApproveRefund
  | RejectRefund
  | RecordRefundSubmitted
  | SettleRefund
  | FailRefund;

export const initialState = (): PaymentOrderState => ({ orderId: null, order: null, payments: {}, refunds: {} });
const noPayment = (): PaymentInfo => ({ status: null, credited: false, creditedMicroUsd: 0n, checkoutVerified: false, discrepancies: [] });

export function checkId(id: string, field: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw invalid('invalid_id', `${field} must be 1..64 letters, digits, '-' or '_'.`);
  return id;
}

export const short = (text: string | null): string | null => (text === null ? null : text.slice(0, TEXT_MAX));

export function mustOrder(state: PaymentOrderState): OrderInfo {
  if (!state.order) throw notFound('order_not_found', 'No such payment order.');
  return state.order;
}

export function paymentSlot(state: PaymentOrderState, paymentId: string): PaymentInfo {
  const known = state.payments[paymentId];
  if (known) return known;
  if (Object.keys(state.payments).length >= MAX_PAYMENTS_PER_ORDER) throw conflict('too_many_payments', 'This order has too many payment attempts.');
  return noPayment();
}

export function mustRefund(state: PaymentOrderState, refundId: string): RefundInfo {
  const refund = state.refunds[refundId];
  if (!refund) throw notFound('refund_not_found', 'No refund with this id on this order.');
  return refund;
}

/** What of a credited payment is still refundable: credited, less every refund that still holds part of it (pending approval included). */
export function refundableOf(state: PaymentOrderState, paymentId: string): bigint {
  const payment = state.payments[paymentId];
  if (!payment?.credited) return 0n;
  const held = Object.values(state.refunds)
    .filter((r) => r.paymentId === paymentId && !RELEASED.has(r.status))
    .reduce((sum, r) => sum + r.amountMicroUsd, 0n);
  return payment.creditedMicroUsd - held;
}

/** The payment this order was credited for, if any: an order is paid for once. */
export function creditedPaymentOf(state: PaymentOrderState): string | null {
  return Object.entries(state.payments).find(([, p]) => p.credited)?.[0] ?? null;
}

/** Refund commands name only the refund; the order id is the stream's, remembered from its creation. */
export const orderIdOf = (state: PaymentOrderState): string => state.orderId ?? '';

export function evolve(state: PaymentOrderState, event: PaymentEvent): PaymentOrderState {
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
