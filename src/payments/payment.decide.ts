import { conflict, invalid, notFound } from '../common/domain-error';
import { assertNever, Decider } from '../event-sourcing/decider';
import { PLATFORM_ACCOUNTS } from '../ledger/ledger-accounts';
import { checkPositiveAmount } from '../ledger/money';
import { assertBalanced, transfer } from '../ledger/postings';
import { DiscrepancyData, DiscrepancyKind, PaymentEvent } from './payment.events';

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

export type RefundStatus = 'requested' | 'submitted' | 'settled' | 'failed';

export interface RefundInfo {
  paymentId: string;
  accountId: string;
  amountMicroUsd: bigint;
  razorpayRefundId: string | null;
  status: RefundStatus;
}

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
  | { type: 'RequestRefund'; orderId: string; paymentId: string; refundId: string; amountMicroUsd: bigint; reason: string; at: string }
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
      const order = mustOrder(state);
      checkId(command.refundId, 'refundId');
      if (state.refunds[command.refundId]) return [];
      if (Object.keys(state.refunds).length >= MAX_REFUNDS_PER_ORDER) throw conflict('too_many_refunds', 'This order has too many refunds.');
      const payment = state.payments[command.paymentId];
      if (!payment?.credited) throw conflict('payment_not_credited', 'Only a payment that was credited can be refunded.');
      const amount = checkPositiveAmount(command.amountMicroUsd);
      if (amount % 10_000n !== 0n) throw invalid('invalid_amount', 'A refund is in whole cents.');
      const reason = command.reason.trim();
      if (!reason || reason.length > 500) throw invalid('invalid_reason', 'A reason of 1..500 characters is required; it goes into the audit trail.');
      return [{
        type: 'RefundRequested',
        data: {
          orderId: command.orderId,
          paymentId: command.paymentId,
          refundId: command.refundId,
          accountId: order.accountId,
          amountMicroUsd: amount.toString(),
          amountCents: Number(amount / 10_000n),
          reason,
          requestedAt: command.at,
        },
      }];
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
    case 'RefundRequested': {
      const d = event.data;
      return { ...state, refunds: { ...state.refunds, [d.refundId]: { paymentId: d.paymentId, accountId: d.accountId, amountMicroUsd: BigInt(d.amountMicroUsd), razorpayRefundId: null, status: 'requested' } } };
    }
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
