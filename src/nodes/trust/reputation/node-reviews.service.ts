import { Injectable } from '@nestjs/common';
import { notFound } from '../../../platform/errors/domain-error';
import { CommandContext } from '../../../platform/event-sourcing/decider';
import { REVIEW_ID } from '../../../payouts/payout.decide';
import { PayoutsService } from '../../../payouts/payouts.service';
import { NodeReputationQueries } from './reputation.queries';

export type ReviewDecisionKind = 'release' | 'claw_back';

export interface ReviewDecisionResult {
  reviewId: string;
  providerId: string;
  nodeId: string;
  decision: ReviewDecisionKind;
  /** false: the review was already decided this way (a retry). */
  recorded: boolean;
  /** A clawback: what was taken back from the provider's earnings. */
  clawedBackMicroUsd: string | null;
}

/**
 * An admin's decision on held earnings: release them, or claw them back with a correcting
 * ledger entry. The decision is an event on the provider's payout stream naming the admin;
 * the route is staff-only, so the staff-action audit records it too (P11).
 */
@Injectable()
export class NodeReviewsService {
  constructor(
    private readonly queries: NodeReputationQueries,
    private readonly payouts: PayoutsService,
  ) {}

  list(status: string | undefined) {
    return this.queries.reviews({ status });
  }

  async decide(reviewId: string, decision: ReviewDecisionKind, reason: string, context: CommandContext): Promise<ReviewDecisionResult> {
    const [review] = REVIEW_ID.test(reviewId) ? await this.queries.reviews({ reviewId }) : [];
    if (!review) throw notFound('review_not_found', 'No such review.');
    const result =
      decision === 'release'
        ? await this.payouts.releaseHeldEarnings(review.providerId, reviewId, reason, context)
        : await this.payouts.clawBackHeldEarnings(review.providerId, reviewId, reason, context);
    const event = result.event;
    return {
      reviewId,
      providerId: review.providerId,
      nodeId: review.nodeId,
      decision,
      recorded: result.recorded,
      clawedBackMicroUsd: event?.type === 'HeldEarningsClawedBack' ? event.data.amountMicroUsd : null,
    };
  }
}
