import { DomainEvent } from '../platform/event-sourcing/decider';
import { Posting } from '../ledger/postings';

/**
 * Stream `payment-{orderId}`: one Razorpay order's lifecycle, as we saw it. Only Razorpay ids,
 * amounts and statuses are kept (P3: no card, bank, VPA, email or phone fields). Money that
 * moves a developer's credits is in `credits-{accountId}` (CreditsPurchased, CreditsRefunded,
 * CreditsRefundReversed, DisputeFunds*); the only postings here are platform-only (a refund
 * Razorpay confirmed: refunds payable → payment clearing).
 */
export type DiscrepancyKind =
  /** A Razorpay payment for an order Tollgate never created. */
  | 'unknown_order'
  /** The payment belongs to another order than the one it was reported with. */
  | 'order_mismatch'
  | 'amount_mismatch'
  | 'currency_mismatch'
  /** Report: captured at Razorpay, no credits purchased. */
  | 'captured_not_credited'
  /** Report: credits purchased for a payment Razorpay does not show as captured. */
  | 'credited_not_captured'
  /** Report: credited with another amount than Razorpay captured. */
  | 'credited_amount_differs'
  /** Another payment of an order that was already credited (e.g. Checkout open in two tabs): never credited; a captured one is finance's to refund. */
  | 'duplicate_payment'
  /** Razorpay refunded a payment that was never captured (auto-refund at the capture timeout): nothing to credit. */
  | 'not_captured'
  /** Captured, then refunded (outside Tollgate) before it was credited: nothing to credit. */
  | 'refunded_before_credit'
  /** A refund or dispute webhook about a payment or refund we have no record of. */
  | 'unknown_refund'
  | 'unknown_dispute';

export type DiscrepancyData = {
  kind: DiscrepancyKind;
  orderId: string | null;
  paymentId: string | null;
  accountId: string | null;
  /** What we expected and what Razorpay said, short and without personal data (e.g. "2500 USD"). */
  expected: string | null;
  actual: string | null;
  /** worker | report */
  source: string;
  /** The report run that found it (null for the worker). */
  runId: string | null;
  foundAt: string;
};

export type PaymentEvent =
  | DomainEvent<'PaymentOrderCreated', { orderId: string; accountId: string; amountMicroUsd: string; amountCents: number; currency: string; receipt: string; createdAt: string }>
  /** The Checkout callback's signature matched the order we stored (the payment is then reconciled like any other signal). */
  | DomainEvent<'CheckoutSignatureVerified', { orderId: string; paymentId: string; verifiedAt: string }>
  /** Razorpay's status of a payment changed, as fetched from its API (never from a webhook body alone). */
  | DomainEvent<
      'PaymentObserved',
      { orderId: string; paymentId: string; status: string; captured: boolean; amountCents: number; currency: string; errorReason: string | null; observedAt: string }
    >
  /** The payment was captured, checked, and credited (CreditsPurchased in the developer's credits stream). */
  | DomainEvent<'PaymentCredited', { orderId: string; paymentId: string; accountId: string; amountMicroUsd: string; creditedAt: string }>
  | DomainEvent<'PaymentDiscrepancyFound', DiscrepancyData>
  /**
   * An admin asked for a refund and every check passed; no money has moved yet. The credits are
   * debited next (CreditsRefunded, same refund id), then Razorpay is asked. `requestedBy` is
   * absent on refunds recorded before it was kept.
   */
  | DomainEvent<
      'RefundRequested',
      {
        orderId: string;
        paymentId: string;
        refundId: string;
        accountId: string;
        amountMicroUsd: string;
        amountCents: number;
        reason: string;
        requestedBy?: string;
        requestedAt: string;
      }
    >
  /** Above the approval threshold: a request only, holding its amount of the payment until another staff member approves or rejects it. */
  | DomainEvent<
      'RefundApprovalRequested',
      {
        orderId: string;
        paymentId: string;
        refundId: string;
        accountId: string;
        amountMicroUsd: string;
        amountCents: number;
        reason: string;
        requestedBy: string;
        requestedAt: string;
      }
    >
  /** A second staff member approved: from here on the refund proceeds as if just requested. */
  | DomainEvent<'RefundApproved', { orderId: string; paymentId: string; refundId: string; requestedBy: string; approvedBy: string; approvedAt: string }>
  | DomainEvent<'RefundApprovalRejected', { orderId: string; paymentId: string; refundId: string; rejectedBy: string; reason: string; rejectedAt: string }>
  | DomainEvent<'RefundSubmitted', { orderId: string; paymentId: string; refundId: string; razorpayRefundId: string; status: string; submittedAt: string }>
  /** Razorpay processed the refund: the money owed to the customer has left payment clearing. */
  | DomainEvent<'RefundSettled', { orderId: string; paymentId: string; refundId: string; razorpayRefundId: string; amountMicroUsd: string; settledAt: string; postings: Posting[] }>
  /** Razorpay refused or failed the refund; the credits were restored (CreditsRefundReversed). */
  | DomainEvent<'RefundFailed', { orderId: string; paymentId: string; refundId: string; razorpayRefundId: string | null; reason: string; failedAt: string }>;

export type PaymentEventType = PaymentEvent['type'];
export const PAYMENT_STREAM_PREFIX = 'payment-';
/** Razorpay ids are `order_…` / `pay_…`; a payment without an order gets a stream of its own id. */
export const paymentStream = (orderOrPaymentId: string) => `${PAYMENT_STREAM_PREFIX}${orderOrPaymentId}`;

/** Stream `reconciliation-{yyyy-mm-dd}`: each run of the daily report and what it found. */
export type ReconciliationEvent =
  | DomainEvent<'PaymentDiscrepancyFound', DiscrepancyData>
  | DomainEvent<
      'ReconciliationReported',
      {
        runId: string;
        day: string;
        from: string;
        to: string;
        razorpayCapturedCount: number;
        razorpayCapturedCents: string;
        creditedCount: number;
        creditedMicroUsd: string;
        discrepancyCount: number;
        reportedAt: string;
      }
    >;
export const RECONCILIATION_STREAM_PREFIX = 'reconciliation-';
export const reconciliationStream = (day: string) => `${RECONCILIATION_STREAM_PREFIX}${day}`;

/** Razorpay amounts are USD cents; ours are micro-USD. */
export const MICRO_USD_PER_CENT = 10_000n;
export const centsToMicroUsd = (cents: number): bigint => BigInt(cents) * MICRO_USD_PER_CENT;
