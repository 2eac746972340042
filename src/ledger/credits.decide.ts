import { conflict, forbidden, invalid, notFound } from '../platform/http/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { CreditOperationKind, CreditsEvent } from './credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from './ledger-accounts';
import { checkPositiveAmount, formatUsd } from '../platform/money';
import { assertBalanced, Posting, transfer } from './postings';

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

export type CreditsCommand =
  /** `clearing`: where the money sits until settled, payment clearing (Razorpay, the default) or crypto clearing (Coinbase Commerce). */
  | { type: 'RecordPurchase'; accountId: string; paymentId: string; orderId: string | null; amountMicroUsd: bigint; clearing?: 'payment' | 'crypto'; at: string }
  | { type: 'GrantFreeTier'; accountId: string; amountMicroUsd: bigint; at: string }
  /** Above `approvalThresholdMicroUsd` a grant (or a correction that adds credits) is only a request until another staff member approves it. */
  | { type: 'GrantCredits'; accountId: string; grantId: string; amountMicroUsd: bigint; reason: string; requestedBy: string; approvalThresholdMicroUsd: bigint; at: string }
  | { type: 'CorrectCredits'; accountId: string; correctionId: string; amountMicroUsd: bigint; reason: string; requestedBy: string; approvalThresholdMicroUsd: bigint; at: string }
  | { type: 'ApproveCreditOperation'; accountId: string; operationId: string; approverId: string; at: string }
  | { type: 'RejectCreditOperation'; accountId: string; operationId: string; rejectedBy: string; reason: string; at: string }
  | { type: 'RefundCredits'; accountId: string; refundId: string; paymentId: string; amountMicroUsd: bigint; reason: string; at: string }
  | { type: 'ReverseRefund'; accountId: string; refundId: string; reason: string; at: string }
  /** `frozenMicroUsd`: what the developer had available, at most the disputed amount (the service reads it through a hold). */
  | { type: 'FreezeDisputedCredits'; accountId: string; disputeId: string; paymentId: string; disputedMicroUsd: bigint; frozenMicroUsd: bigint; at: string }
  | { type: 'ReleaseDisputedCredits'; accountId: string; disputeId: string; at: string }
  | { type: 'RecordDisputeLost'; accountId: string; disputeId: string; at: string };

const initialState = (): CreditsState => ({ purchases: {}, orders: {}, freeTierGranted: false, operations: {}, pending: {}, refunds: {}, disputes: {} });

function checkReason(reason: string): string {
  const trimmed = typeof reason === 'string' ? reason.trim() : '';
  if (!trimmed || trimmed.length > REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${REASON_MAX} characters is required; it goes into the audit trail.`);
  return trimmed;
}

function checkOperationId(id: string, field: string): void {
  if (!OPERATION_ID.test(id)) throw invalid('invalid_id', `${field} must be 1..64 letters, digits, '-' or '_'.`);
}

function decide(command: CreditsCommand, state: CreditsState): CreditsEvent[] {
  const developer = developerAccount(command.accountId);
  switch (command.type) {
    case 'RecordPurchase': {
      checkOperationId(command.paymentId, 'paymentId');
      // Exactly once per payment: checkout callback, webhooks and sweeps all land here.
      const seen = state.purchases[command.paymentId];
      if (seen) {
        if (seen.amountMicroUsd !== command.amountMicroUsd) throw conflict('payment_amount_mismatch', 'This payment was already credited with a different amount.');
        return [];
      }
      // A second payment for the same order (two Checkout tabs) is a duplicate to give back, not more credit.
      const creditedFor = command.orderId === null ? undefined : state.orders[command.orderId];
      if (creditedFor !== undefined) throw conflict('order_already_credited', `This order was already credited by payment ${creditedFor}.`);
      const amount = checkPositiveAmount(command.amountMicroUsd);
      return [{
        type: 'CreditsPurchased',
        data: {
          accountId: command.accountId,
          paymentId: command.paymentId,
          orderId: command.orderId,
          amountMicroUsd: amount.toString(),
          purchasedAt: command.at,
          postings: assertBalanced(transfer(command.clearing === 'crypto' ? PLATFORM_ACCOUNTS.cryptoClearing : PLATFORM_ACCOUNTS.paymentClearing, developer, amount)),
        },
      }];
    }
    case 'GrantFreeTier': {
      if (state.freeTierGranted || command.amountMicroUsd === 0n) return []; // once per account; 0 = free tier off
      const amount = checkPositiveAmount(command.amountMicroUsd);
      return [{
        type: 'FreeTierGranted',
        data: { accountId: command.accountId, amountMicroUsd: amount.toString(), grantedAt: command.at, postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.promotions, developer, amount)) },
      }];
    }
    case 'GrantCredits': {
      checkOperationId(command.grantId, 'grantId');
      if (state.operations[command.grantId] || state.pending[command.grantId]) return [];
      const amount = checkPositiveAmount(command.amountMicroUsd);
      const reason = checkReason(command.reason);
      if (amount > command.approvalThresholdMicroUsd) return [operationRequested(command.accountId, command.grantId, 'grant', amount, reason, command.requestedBy, command.at)];
      return [granted(command.accountId, command.grantId, amount, reason, command.at, null)];
    }
    case 'CorrectCredits': {
      checkOperationId(command.correctionId, 'correctionId');
      if (state.operations[command.correctionId] || state.pending[command.correctionId]) return [];
      const amount = command.amountMicroUsd;
      if (amount === 0n) throw invalid('invalid_amount', 'A correction must change the balance.');
      checkPositiveAmount(amount < 0n ? -amount : amount);
      const reason = checkReason(command.reason);
      // Adding credits is money leaving the platform; taking them away needs no second pair of eyes.
      if (amount > command.approvalThresholdMicroUsd) return [operationRequested(command.accountId, command.correctionId, 'correction', amount, reason, command.requestedBy, command.at)];
      return [corrected(command.accountId, command.correctionId, amount, reason, command.at, null)];
    }
    case 'ApproveCreditOperation': {
      if (state.operations[command.operationId]) return []; // approved already (or never needed it)
      const op = state.pending[command.operationId];
      if (!op) throw notFound('approval_not_found', 'No grant or correction with this id is waiting for approval on this account.');
      if (op.status === 'rejected') throw conflict('approval_rejected', 'This request was rejected.');
      if (command.approverId === op.requestedBy) throw forbidden('self_approval', 'A second staff member must approve this; the one who requested it cannot.');
      if (command.approverId === command.accountId) throw forbidden('payee_cannot_approve', 'Credits for your own account need another staff member.');
      const approval = { requestedBy: op.requestedBy, approvedBy: command.approverId };
      return [op.kind === 'grant' ? granted(command.accountId, command.operationId, op.amountMicroUsd, op.reason, command.at, approval) : corrected(command.accountId, command.operationId, op.amountMicroUsd, op.reason, command.at, approval)];
    }
    case 'RejectCreditOperation': {
      const op = state.pending[command.operationId];
      if (!op || state.operations[command.operationId]) throw notFound('approval_not_found', 'No grant or correction with this id is waiting for approval on this account.');
      if (op.status === 'rejected') return [];
      return [{ type: 'CreditOperationRejected', data: { accountId: command.accountId, operationId: command.operationId, kind: op.kind, reason: checkReason(command.reason), rejectedBy: command.rejectedBy, rejectedAt: command.at } }];
    }
    case 'RefundCredits': {
      checkOperationId(command.refundId, 'refundId');
      if (state.operations[command.refundId]) return [];
      const purchase = state.purchases[command.paymentId];
      if (!purchase) throw notFound('payment_not_found', 'No purchase with this payment id on this account.');
      const amount = checkPositiveAmount(command.amountMicroUsd);
      const refundable = purchase.amountMicroUsd - purchase.refundedMicroUsd;
      if (amount > refundable) throw conflict('refund_exceeds_payment', `At most ${formatUsd(refundable)} USD of this payment can still be refunded.`);
      return [{
        type: 'CreditsRefunded',
        data: {
          accountId: command.accountId,
          refundId: command.refundId,
          paymentId: command.paymentId,
          amountMicroUsd: amount.toString(),
          reason: checkReason(command.reason),
          holdId: command.refundId,
          refundedAt: command.at,
          postings: assertBalanced(transfer(developer, PLATFORM_ACCOUNTS.refundsPayable, amount)),
        },
      }];
    }
    case 'ReverseRefund': {
      const refund = state.refunds[command.refundId];
      if (!refund) throw notFound('refund_not_found', 'No refund with this id on this account.');
      if (refund.reversed) return [];
      return [{
        type: 'CreditsRefundReversed',
        data: {
          accountId: command.accountId,
          refundId: command.refundId,
          paymentId: refund.paymentId,
          amountMicroUsd: refund.amountMicroUsd.toString(),
          reason: checkReason(command.reason),
          reversedAt: command.at,
          postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.refundsPayable, developer, refund.amountMicroUsd)),
        },
      }];
    }
    case 'FreezeDisputedCredits': {
      checkOperationId(command.disputeId, 'disputeId');
      if (state.disputes[command.disputeId]) return [];
      const purchase = state.purchases[command.paymentId];
      if (!purchase) throw notFound('payment_not_found', 'No purchase with this payment id on this account.');
      const disputed = checkPositiveAmount(command.disputedMicroUsd);
      // A bank reverses at most what was paid. (A dispute over a part already refunded is a real
      // loss if lost — the refund went out too — which finance contests with the refund's proof.)
      if (disputed > purchase.amountMicroUsd) throw invalid('invalid_amount', 'The disputed amount exceeds the payment.');
      const frozen = command.frozenMicroUsd;
      if (frozen < 0n || frozen > disputed) throw invalid('invalid_amount', 'The frozen amount must be between zero and the disputed amount.');
      return [{
        type: 'DisputeFundsFrozen',
        data: {
          accountId: command.accountId,
          disputeId: command.disputeId,
          paymentId: command.paymentId,
          disputedMicroUsd: disputed.toString(),
          frozenMicroUsd: frozen.toString(),
          shortfallMicroUsd: (disputed - frozen).toString(),
          // Freezing spends credits like usage does: through a hold with this id.
          holdId: frozen > 0n ? command.disputeId : null,
          frozenAt: command.at,
          postings: frozen > 0n ? assertBalanced(transfer(developer, PLATFORM_ACCOUNTS.disputesHeld, frozen)) : [],
        },
      }];
    }
    case 'ReleaseDisputedCredits': {
      const dispute = state.disputes[command.disputeId];
      if (!dispute) throw notFound('dispute_not_found', 'No frozen dispute with this id on this account.');
      if (dispute.outcome !== 'open') return [];
      return [{
        type: 'DisputeFundsReleased',
        data: {
          accountId: command.accountId,
          disputeId: command.disputeId,
          paymentId: dispute.paymentId,
          amountMicroUsd: dispute.frozenMicroUsd.toString(),
          releasedAt: command.at,
          postings: dispute.frozenMicroUsd > 0n ? assertBalanced(transfer(PLATFORM_ACCOUNTS.disputesHeld, developer, dispute.frozenMicroUsd)) : [],
        },
      }];
    }
    case 'RecordDisputeLost': {
      const dispute = state.disputes[command.disputeId];
      if (!dispute) throw notFound('dispute_not_found', 'No frozen dispute with this id on this account.');
      if (dispute.outcome === 'lost') return [];
      if (dispute.outcome === 'released') throw conflict('dispute_already_released', 'This dispute was already released to the developer.');
      const writtenOff = dispute.disputedMicroUsd - dispute.frozenMicroUsd;
      // The bank took the whole disputed amount out of clearing; frozen credits cover what they can.
      const postings: Posting[] = [{ account: PLATFORM_ACCOUNTS.paymentClearing, amountMicroUsd: (-dispute.disputedMicroUsd).toString() }];
      if (dispute.frozenMicroUsd > 0n) postings.push({ account: PLATFORM_ACCOUNTS.disputesHeld, amountMicroUsd: dispute.frozenMicroUsd.toString() });
      if (writtenOff > 0n) postings.push({ account: PLATFORM_ACCOUNTS.disputeLosses, amountMicroUsd: writtenOff.toString() });
      return [{
        type: 'DisputeLost',
        data: {
          accountId: command.accountId,
          disputeId: command.disputeId,
          paymentId: dispute.paymentId,
          disputedMicroUsd: dispute.disputedMicroUsd.toString(),
          frozenMicroUsd: dispute.frozenMicroUsd.toString(),
          writtenOffMicroUsd: writtenOff.toString(),
          lostAt: command.at,
          postings: assertBalanced(postings),
        },
      }];
    }
    default:
      return assertNever(command);
  }
}

type Approval = { requestedBy: string; approvedBy: string } | null;

function operationRequested(accountId: string, operationId: string, kind: CreditOperationKind, amount: bigint, reason: string, requestedBy: string, at: string): CreditsEvent {
  return { type: 'CreditOperationRequested', data: { accountId, operationId, kind, amountMicroUsd: amount.toString(), reason, requestedBy, requestedAt: at } };
}

function granted(accountId: string, grantId: string, amount: bigint, reason: string, at: string, approval: Approval): CreditsEvent {
  return {
    type: 'CreditsGranted',
    data: { accountId, grantId, amountMicroUsd: amount.toString(), reason, grantedAt: at, ...approval, postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.promotions, developerAccount(accountId), amount)) },
  };
}

function corrected(accountId: string, correctionId: string, amount: bigint, reason: string, at: string, approval: Approval): CreditsEvent {
  const developer = developerAccount(accountId);
  const postings = amount > 0n ? transfer(PLATFORM_ACCOUNTS.corrections, developer, amount) : transfer(developer, PLATFORM_ACCOUNTS.corrections, -amount);
  return {
    type: 'CreditsCorrected',
    data: {
      accountId,
      correctionId,
      amountMicroUsd: amount.toString(),
      reason,
      // Taking credits away spends them like usage does: through a hold with this id.
      holdId: amount < 0n ? correctionId : null,
      correctedAt: at,
      ...approval,
      postings: assertBalanced(postings),
    },
  };
}

function evolve(state: CreditsState, event: CreditsEvent): CreditsState {
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
      return { ...state, pending: { ...state.pending, [d.operationId]: { kind: d.kind, amountMicroUsd: BigInt(d.amountMicroUsd), reason: d.reason, requestedBy: d.requestedBy, status: 'pending' } } };
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
      return { ...state, disputes: { ...state.disputes, [d.disputeId]: { paymentId: d.paymentId, disputedMicroUsd: BigInt(d.disputedMicroUsd), frozenMicroUsd: BigInt(d.frozenMicroUsd), outcome: 'open' } } };
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

export const creditsDecider: Decider<CreditsState, CreditsCommand, CreditsEvent> = { initialState, decide, evolve };
