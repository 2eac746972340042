import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore, Position } from '../platform/event-store/event-store.port';
import { formatUsd } from '../platform/money';
import { availableForPayout, heldForReview, PayoutCommand, payoutDecider, PayoutState } from './payout.decide';
import { PayoutEvent, payoutStream } from './payout.events';
import { HoldPeriod, PayoutQueries } from './payout.queries';

export interface PayoutAvailability {
  currency: 'USD';
  /** Earnings recorded so far (held back or not), payouts not subtracted. */
  earnedMicroUsd: string;
  /** Earnings younger than the holdback: they may still be disputed. */
  heldBackMicroUsd: string;
  /** What suspended nodes earned in their flagged days, held until an admin reviews it. */
  heldForReviewMicroUsd: string;
  /** Taken back by reviews. */
  clawedBackMicroUsd: string;
  /** Requested or approved payouts not yet paid. */
  openMicroUsd: string;
  paidMicroUsd: string;
  /** earned − heldBack − heldForReview − clawedBack − open − paid, never below zero. */
  availableMicroUsd: string;
  availableUsd: string;
  minimumMicroUsd: string;
  holdbackDays: number;
  /** Earnings recorded at or before this instant count as matured. */
  maturedBefore: string;
}

export interface PayoutResult {
  /** The payout's id, or the review's for hold commands. */
  payoutId: string;
  recorded: boolean;
  event: PayoutEvent | null;
  position: Position | null;
}

type FinanceCommand = Extract<PayoutCommand, { type: 'ApprovePayout' | 'RejectPayout' | 'MarkPayoutPaid' }>;

export interface HoldInput {
  reviewId: string;
  nodeId: string;
  fromDay: string;
  toDay: string;
  reason: string;
}

/** A request races a hold placed meanwhile at most this many times before giving up (409). */
const HOLD_RACE_ATTEMPTS = 3;

const PROVIDER_ID = /^[0-9A-Za-z_-]{1,64}$/;
const DAY_MS = 86_400_000;

/**
 * Payout commands on `payout-{providerId}`. Availability is bounded by quantities that can only
 * lag downwards: matured earnings from the ledger postings (a projection behind the events
 * shows fewer of them) minus open and paid payouts from the payout stream itself (the decider's
 * state, never behind). Concurrent requests serialise on that stream through the command
 * handler's expected revision, and each retry decides again on the new state.
 */
@Injectable()
export class PayoutsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queries: PayoutQueries,
  ) {}

  async request(providerId: string, amountMicroUsd: bigint, context: CommandContext, payoutId: string = randomUUID()): Promise<PayoutResult> {
    for (let attempt = 1; ; attempt++) {
      const { state } = await loadAggregate(this.store, payoutStream(providerId), payoutDecider);
      const { maturedMicroUsd, heldForReview } = await this.queries.earnings(providerId, this.cutoff(new Date(context.occurredAt)), holdPeriods(state));
      try {
        return await this.run(
          providerId,
          {
            type: 'RequestPayout',
            providerId,
            payoutId,
            amountMicroUsd,
            maturedEarningsMicroUsd: maturedMicroUsd,
            heldEarnings: heldForReview,
            minimumMicroUsd: this.config.payouts.minimumMicroUsd,
            at: context.occurredAt,
          },
          context,
        );
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'earnings_hold_changed' && attempt < HOLD_RACE_ATTEMPTS)) throw err;
      }
    }
  }

  /** Node trust: a suspended node's earnings of its flagged days wait for an admin's review. */
  holdEarnings(providerId: string, hold: HoldInput, context: CommandContext): Promise<PayoutResult> {
    return this.run(providerId, { type: 'HoldEarnings', providerId, ...hold, at: context.occurredAt }, context);
  }

  releaseHeldEarnings(providerId: string, reviewId: string, reason: string, context: CommandContext): Promise<PayoutResult> {
    return this.run(providerId, { type: 'ReleaseHeldEarnings', providerId, reviewId, reason, at: context.occurredAt }, context);
  }

  /** Takes back what the hold's days earned, as read now (the node is suspended, so its charges are in). */
  async clawBackHeldEarnings(providerId: string, reviewId: string, reason: string, context: CommandContext): Promise<PayoutResult> {
    const { state } = await loadAggregate(this.store, payoutStream(providerId), payoutDecider);
    const { heldForReview } = await this.queries.earnings(
      providerId,
      this.cutoff(new Date(context.occurredAt)),
      holdPeriods(state).filter((h) => h.reviewId === reviewId),
    );
    return this.run(providerId, { type: 'ClawBackHeldEarnings', providerId, reviewId, amountMicroUsd: heldForReview[reviewId] ?? 0n, reason, at: context.occurredAt }, context);
  }

  approve(providerId: string, payoutId: string, context: CommandContext): Promise<PayoutResult> {
    return this.finance(providerId, { type: 'ApprovePayout', providerId, payoutId, approverId: context.actorId, at: context.occurredAt }, context);
  }

  reject(providerId: string, payoutId: string, reason: string, context: CommandContext): Promise<PayoutResult> {
    return this.finance(providerId, { type: 'RejectPayout', providerId, payoutId, reason, at: context.occurredAt }, context);
  }

  markPaid(providerId: string, payoutId: string, reference: string, context: CommandContext): Promise<PayoutResult> {
    return this.finance(providerId, { type: 'MarkPayoutPaid', providerId, payoutId, reference, paidBy: context.actorId, at: context.occurredAt }, context);
  }

  async availability(providerId: string, at: Date = new Date()): Promise<PayoutAvailability> {
    const cutoff = this.cutoff(at);
    const { state } = await loadAggregate(this.store, payoutStream(providerId), payoutDecider);
    const earnings = await this.queries.earnings(providerId, cutoff, holdPeriods(state));
    const available = availableForPayout(state, earnings.maturedMicroUsd, earnings.heldForReview);
    return {
      currency: 'USD',
      earnedMicroUsd: (earnings.maturedMicroUsd + earnings.heldBackMicroUsd).toString(),
      heldBackMicroUsd: earnings.heldBackMicroUsd.toString(),
      heldForReviewMicroUsd: heldForReview(state, earnings.heldForReview).toString(),
      clawedBackMicroUsd: state.clawedBackMicroUsd.toString(),
      openMicroUsd: state.openMicroUsd.toString(),
      paidMicroUsd: state.paidMicroUsd.toString(),
      availableMicroUsd: available.toString(),
      availableUsd: formatUsd(available),
      minimumMicroUsd: this.config.payouts.minimumMicroUsd.toString(),
      holdbackDays: this.config.payouts.holdbackMs / DAY_MS,
      maturedBefore: cutoff.toISOString(),
    };
  }

  private cutoff(at: Date): Date {
    return new Date(at.getTime() - this.config.payouts.holdbackMs);
  }

  /** An unknown provider id is answered like an unknown payout (both 404). */
  private finance(providerId: string, command: FinanceCommand, context: CommandContext): Promise<PayoutResult> {
    if (!PROVIDER_ID.test(providerId)) throw notFound('payout_not_found', 'No such payout.');
    return this.run(providerId, command, context);
  }

  private async run(providerId: string, command: PayoutCommand, context: CommandContext): Promise<PayoutResult> {
    const { events, position } = await handleCommand(this.store, payoutStream(providerId), payoutDecider, command, context);
    return { payoutId: 'payoutId' in command ? command.payoutId : command.reviewId, recorded: events.length > 0, event: events[0] ?? null, position };
  }
}

/** The open holds of a payout stream: the periods whose earnings are read with the matured earnings. */
function holdPeriods(state: PayoutState): HoldPeriod[] {
  return Object.entries(state.holds)
    .filter(([, h]) => h.status === 'open')
    .map(([reviewId, h]) => ({ reviewId, nodeId: h.nodeId, fromDay: h.fromDay, toDay: h.toDay }));
}
