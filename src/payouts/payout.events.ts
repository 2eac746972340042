import { DomainEvent } from '../event-sourcing/decider';
import { Posting } from '../ledger/postings';

/**
 * Stream `payout-{providerId}`. Earnings accrue on the provider's ledger account from charged
 * usage; a payout moves money out of it only when it is paid (the one event with postings).
 */
export type PayoutEvent =
  | DomainEvent<'PayoutRequested', { providerId: string; payoutId: string; amountMicroUsd: string; requestedAt: string }>
  /** `approvedBy` (absent on payouts approved before four eyes): it may not also mark the payout paid. */
  | DomainEvent<'PayoutApproved', { providerId: string; payoutId: string; approvedBy?: string; approvedAt: string }>
  | DomainEvent<'PayoutRejected', { providerId: string; payoutId: string; reason: string; rejectedAt: string }>
  | DomainEvent<'PayoutPaid', { providerId: string; payoutId: string; amountMicroUsd: string; reference: string; approvedBy?: string | null; paidBy?: string; paidAt: string; postings: Posting[] }>;

export const payoutStream = (providerId: string) => `payout-${providerId}`;
