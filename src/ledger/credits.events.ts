import { DomainEvent } from '../event-sourcing/decider';
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
  | DomainEvent<'CreditsGranted', { accountId: string; grantId: string; amountMicroUsd: string; reason: string; grantedAt: string; postings: Posting[] }>
  | DomainEvent<'CreditsCorrected', {
      accountId: string;
      correctionId: string;
      /** Signed: positive adds credits, negative takes them away. */
      amountMicroUsd: string;
      reason: string;
      holdId: string | null;
      correctedAt: string;
      postings: Posting[];
    }>
  | DomainEvent<'CreditsRefunded', {
      accountId: string;
      refundId: string;
      paymentId: string;
      amountMicroUsd: string;
      reason: string;
      holdId: string;
      refundedAt: string;
      postings: Posting[];
    }>;

export type CreditsEventType = CreditsEvent['type'];
export const creditsStream = (accountId: string) => `credits-${accountId}`;
export const CREDITS_STREAM_PREFIX = 'credits-';
