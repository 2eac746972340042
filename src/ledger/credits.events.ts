import { DomainEvent } from '../platform/event-sourcing/decider';
import { Posting } from './postings';

/**
 * Stream `credits-{accountId}`: money that moves a developer's credits outside metered usage.
 * Every event carries its double-entry postings; events that take credits away carry the
 * `holdId` of the Redis hold that reserved them (see spending/). Usage charges live in the
 * per-day usage streams instead, so a busy key never makes this stream hot.
 */
export type CreditsEvent =
  | DomainEvent<'CreditsPurchased', { accountId: string; paymentId: string; orderId: string | null; amountMicroUsd: string; purchasedAt: string; postings: Posting[] }>
  | DomainEvent<'FreeTierGranted', { accountId: string; amountMicroUsd: string; grantedAt: string; postings: Posting[] }>
  /** `requestedBy`/`approvedBy`: the two staff members of a grant above the approval threshold. */
  | DomainEvent<
      'CreditsGranted',
      { accountId: string; grantId: string; amountMicroUsd: string; reason: string; grantedAt: string; requestedBy?: string; approvedBy?: string; postings: Posting[] }
    >
  /** A grant or a correction that adds credits, above the approval threshold: no money moves until another staff member approves. */
  | DomainEvent<
      'CreditOperationRequested',
      { accountId: string; operationId: string; kind: CreditOperationKind; amountMicroUsd: string; reason: string; requestedBy: string; requestedAt: string }
    >
  | DomainEvent<'CreditOperationRejected', { accountId: string; operationId: string; kind: CreditOperationKind; reason: string; rejectedBy: string; rejectedAt: string }>
  | DomainEvent<
      'CreditsCorrected',
      {
        accountId: string;
        correctionId: string;
        /** Signed: positive adds credits, negative takes them away. */
        amountMicroUsd: string;
        reason: string;
        holdId: string | null;
        correctedAt: string;
        requestedBy?: string;
        approvedBy?: string;
        postings: Posting[];
      }
    >
  | DomainEvent<
      'CreditsRefunded',
      {
        accountId: string;
        refundId: string;
        paymentId: string;
        amountMicroUsd: string;
        reason: string;
        holdId: string;
        refundedAt: string;
        postings: Posting[];
      }
    >
  /** Razorpay refused or failed a refund: the credits taken for it come back (payments issue). */
  | DomainEvent<
      'CreditsRefundReversed',
      { accountId: string; refundId: string; paymentId: string; amountMicroUsd: string; reason: string; reversedAt: string; postings: Posting[] }
    >
  /**
   * A payment is disputed: what the developer still has available (at most the disputed amount)
   * is frozen; `shortfallMicroUsd` is what was already spent. postings is empty when nothing was available.
   */
  | DomainEvent<
      'DisputeFundsFrozen',
      {
        accountId: string;
        disputeId: string;
        paymentId: string;
        disputedMicroUsd: string;
        frozenMicroUsd: string;
        shortfallMicroUsd: string;
        holdId: string | null;
        frozenAt: string;
        postings: Posting[];
      }
    >
  /** The dispute was won (or closed in our favour): the frozen credits go back to the developer. */
  | DomainEvent<'DisputeFundsReleased', { accountId: string; disputeId: string; paymentId: string; amountMicroUsd: string; releasedAt: string; postings: Posting[] }>
  /**
   * The dispute was lost: the bank took the disputed amount out of payment clearing; the frozen
   * credits cover it and the shortfall is written off to platform:dispute_losses.
   */
  | DomainEvent<
      'DisputeLost',
      {
        accountId: string;
        disputeId: string;
        paymentId: string;
        disputedMicroUsd: string;
        frozenMicroUsd: string;
        writtenOffMicroUsd: string;
        lostAt: string;
        postings: Posting[];
      }
    >;

export type CreditOperationKind = 'grant' | 'correction';
export type CreditsEventType = CreditsEvent['type'];
export const creditsStream = (accountId: string) => `credits-${accountId}`;
export const CREDITS_STREAM_PREFIX = 'credits-';
