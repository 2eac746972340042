import { DomainEvent } from '../platform/event-sourcing/decider';
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
  | DomainEvent<
      'PayoutPaid',
      { providerId: string; payoutId: string; amountMicroUsd: string; reference: string; approvedBy?: string | null; paidBy?: string; paidAt: string; postings: Posting[] }
    >
  /**
   * A node of this provider was suspended for dishonesty: what it earned in the flagged UTC days
   * (from, to inclusive) cannot be paid out until an admin reviews it. The amount is not fixed
   * here: it is read from the usage read model whenever availability is computed, so charges
   * still being projected are held too. Recorded by `system:node-trust`.
   */
  | DomainEvent<'EarningsHeldForReview', { providerId: string; reviewId: string; nodeId: string; fromDay: string; toDay: string; reason: string; heldAt: string }>
  /** The review found the earnings fair: they become available again. */
  | DomainEvent<'HeldEarningsReleased', { providerId: string; reviewId: string; nodeId: string; reason: string; releasedAt: string }>
  /**
   * The review found them unearned: taken back by a correcting entry (Dr provider, Cr
   * platform:clawbacks), never by editing the charges. postings is empty when nothing was held.
   */
  | DomainEvent<
      'HeldEarningsClawedBack',
      { providerId: string; reviewId: string; nodeId: string; amountMicroUsd: string; reason: string; clawedBackAt: string; postings: Posting[] }
    >;

export const CLAWBACK_EVENT_TYPE = 'HeldEarningsClawedBack';

export const payoutStream = (providerId: string) => `payout-${providerId}`;
