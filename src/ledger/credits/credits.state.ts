import { invalid } from '../../platform/errors/domain-error';
import { CreditOperationKind, CreditsEvent } from '../credits.events';

export const REASON_MAX = 500;
/** Operation ids remembered per account (grants, corrections, refunds): retries with the same id are no-ops. */
const OPERATION_ID = /^[0-9A-Za-z_-]{1,64}$/;

export interface PurchaseState {
  amountMicroUsd: bigint;
  refundedMicroUsd: bigint;
}

export interface RefundState {
  paymentId: string;
  amountMicroUsd: bigint;
  reversed: boolean;
}

export interface DisputeState {
  paymentId: string;
  disputedMicroUsd: bigint;
  frozenMicroUsd: bigint;
  outcome: 'open' | 'released' | 'lost';
}

/** A manual grant or positive correction above the approval threshold, waiting for a second staff member. */
export interface PendingOperation {
  kind: CreditOperationKind;
  amountMicroUsd: bigint;
  reason: string;
  requestedBy: string;
  status: 'pending' | 'rejected';
}

export interface CreditsState {
  purchases: Record<string, PurchaseState>;
  /** Razorpay order id → the one payment credited for it: an order is paid for once. */
  orders: Record<string, string>;
  freeTierGranted: boolean;
  /** grant/correction/refund ids already recorded. */
  operations: Record<string, true>;
  /** Operations that need (or were refused) a second approver, by operation id. */
  pending: Record<string, PendingOperation>;
  refunds: Record<string, RefundState>;
  disputes: Record<string, DisputeState>;
}

/** `clearing`: where the money sits until settled, payment clearing (Razorpay, the default) or crypto clearing (Coinbase Commerce). */
export type RecordPurchase = {
  type: 'RecordPurchase';
  accountId: string;
  paymentId: string;
  orderId: string | null;
  amountMicroUsd: bigint;
  clearing?: 'payment' | 'crypto';
  at: string;
};
export type GrantFreeTier = { type: 'GrantFreeTier'; accountId: string; amountMicroUsd: bigint; at: string };
/** Above `approvalThresholdMicroUsd` a grant (or a correction that adds credits) is only a request until another staff member approves it. */
export type GrantCredits = {
  type: 'GrantCredits';
  accountId: string;
  grantId: string;
  amountMicroUsd: bigint;
  reason: string;
  requestedBy: string;
  approvalThresholdMicroUsd: bigint;
  at: string;
};
export type CorrectCredits = {
  type: 'CorrectCredits';
  accountId: string;
  correctionId: string;
  amountMicroUsd: bigint;
  reason: string;
  requestedBy: string;
  approvalThresholdMicroUsd: bigint;
  at: string;
};
export type ApproveCreditOperation = { type: 'ApproveCreditOperation'; accountId: string; operationId: string; approverId: string; at: string };
export type RejectCreditOperation = { type: 'RejectCreditOperation'; accountId: string; operationId: string; rejectedBy: string; reason: string; at: string };
export type RefundCredits = { type: 'RefundCredits'; accountId: string; refundId: string; paymentId: string; amountMicroUsd: bigint; reason: string; at: string };
export type ReverseRefund = { type: 'ReverseRefund'; accountId: string; refundId: string; reason: string; at: string };
/** `frozenMicroUsd`: what the developer had available, at most the disputed amount (the service reads it through a hold). */
export type FreezeDisputedCredits = {
  type: 'FreezeDisputedCredits';
  accountId: string;
  disputeId: string;
  paymentId: string;
  disputedMicroUsd: bigint;
  frozenMicroUsd: bigint;
  at: string;
};
export type ReleaseDisputedCredits = { type: 'ReleaseDisputedCredits'; accountId: string; disputeId: string; at: string };
export type RecordDisputeLost = { type: 'RecordDisputeLost'; accountId: string; disputeId: string; at: string };

export type CreditsCommand =
  | RecordPurchase
  | GrantFreeTier
  | GrantCredits
  | CorrectCredits
  | ApproveCreditOperation
  | RejectCreditOperation
  | RefundCredits
  | ReverseRefund
  | FreezeDisputedCredits
  | ReleaseDisputedCredits
  | RecordDisputeLost;

export const initialState = (): CreditsState => ({ purchases: {}, orders: {}, freeTierGranted: false, operations: {}, pending: {}, refunds: {}, disputes: {} });

export function checkReason(reason: string): string {
  const trimmed = typeof reason === 'string' ? reason.trim() : '';
  if (!trimmed || trimmed.length > REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${REASON_MAX} characters is required; it goes into the audit trail.`);
  return trimmed;
}

export function checkOperationId(id: string, field: string): void {
  if (!OPERATION_ID.test(id)) throw invalid('invalid_id', `${field} must be 1..64 letters, digits, '-' or '_'.`);
}

export function evolve(state: CreditsState, event: CreditsEvent): CreditsState {
  switch (event.type) {
    case 'CreditsPurchased': {
      const { orderId, paymentId } = event.data;
      const purchases = { ...state.purchases, [paymentId]: { amountMicroUsd: BigInt(event.data.amountMicroUsd), refundedMicroUsd: 0n } };
      return { ...state, purchases, orders: orderId ? { ...state.orders, [orderId]: paymentId } : state.orders };
    }
    case 'FreeTierGranted':
      return { ...state, freeTierGranted: true };
    case 'CreditsGranted':
      return { ...state, operations: { ...state.operations, [event.data.grantId]: true } };
    case 'CreditsCorrected':
      return { ...state, operations: { ...state.operations, [event.data.correctionId]: true } };
    case 'CreditOperationRequested': {
      const d = event.data;
      return {
        ...state,
        pending: { ...state.pending, [d.operationId]: { kind: d.kind, amountMicroUsd: BigInt(d.amountMicroUsd), reason: d.reason, requestedBy: d.requestedBy, status: 'pending' } },
      };
    }
    case 'CreditOperationRejected': {
      const op = state.pending[event.data.operationId];
      return op ? { ...state, pending: { ...state.pending, [event.data.operationId]: { ...op, status: 'rejected' } } } : state;
    }
    case 'CreditsRefunded': {
      const purchase = state.purchases[event.data.paymentId];
      const purchases = purchase
        ? { ...state.purchases, [event.data.paymentId]: { ...purchase, refundedMicroUsd: purchase.refundedMicroUsd + BigInt(event.data.amountMicroUsd) } }
        : state.purchases;
      const refunds = { ...state.refunds, [event.data.refundId]: { paymentId: event.data.paymentId, amountMicroUsd: BigInt(event.data.amountMicroUsd), reversed: false } };
      return { ...state, purchases, refunds, operations: { ...state.operations, [event.data.refundId]: true } };
    }
    case 'CreditsRefundReversed': {
      const refund = state.refunds[event.data.refundId];
      const purchase = state.purchases[event.data.paymentId];
      const purchases = purchase
        ? { ...state.purchases, [event.data.paymentId]: { ...purchase, refundedMicroUsd: purchase.refundedMicroUsd - BigInt(event.data.amountMicroUsd) } }
        : state.purchases;
      return { ...state, purchases, refunds: refund ? { ...state.refunds, [event.data.refundId]: { ...refund, reversed: true } } : state.refunds };
    }
    case 'DisputeFundsFrozen': {
      const d = event.data;
      return {
        ...state,
        disputes: {
          ...state.disputes,
          [d.disputeId]: { paymentId: d.paymentId, disputedMicroUsd: BigInt(d.disputedMicroUsd), frozenMicroUsd: BigInt(d.frozenMicroUsd), outcome: 'open' },
        },
      };
    }
    case 'DisputeFundsReleased':
    case 'DisputeLost': {
      const dispute = state.disputes[event.data.disputeId];
      if (!dispute) return state;
      return { ...state, disputes: { ...state.disputes, [event.data.disputeId]: { ...dispute, outcome: event.type === 'DisputeLost' ? 'lost' : 'released' } } };
    }
    default:
      return state;
  }
}
