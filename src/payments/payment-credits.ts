import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../platform/errors/domain-error';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore, Position } from '../platform/event-store/event-store.port';
import { CreditsCommand, creditsDecider } from '../ledger/credits/credits.decide';
import { creditsStream } from '../ledger/credits.events';
import { CreditSpending } from '../ledger/spending/credit-spending';

/** Attempts to freeze what is available when requests in flight keep changing it. */
const FREEZE_ATTEMPTS = 3;

/**
 * The credits-stream commands that payments add: a failed refund restores the credits, and a
 * dispute freezes, releases or settles them. Taking credits away (a freeze) goes through a
 * Redis hold like every other debit, so it never overdraws credits that requests are spending.
 *
 * Dispute shortfall rule: a freeze takes what the developer has AVAILABLE, up to the disputed
 * amount, and records the rest as the shortfall (already spent). The balance never goes
 * negative; a lost dispute writes the shortfall off to platform:dispute_losses, and finance sees
 * it on the payment (frozen / shortfall columns) to decide on a correction or a suspension.
 */
@Injectable()
export class PaymentCredits {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly spending: CreditSpending,
  ) {}

  async reverseRefund(accountId: string, refundId: string, reason: string, context: CommandContext): Promise<Position | null> {
    return this.run(accountId, { type: 'ReverseRefund', accountId, refundId, reason, at: context.occurredAt }, context);
  }

  /** Returns the frozen amount (what the event says, whether this call or an earlier one recorded it). */
  async freezeForDispute(accountId: string, disputeId: string, paymentId: string, disputedMicroUsd: bigint, context: CommandContext): Promise<bigint> {
    for (let attempt = 1; ; attempt++) {
      const { state } = await loadAggregate(this.store, creditsStream(accountId), creditsDecider);
      const known = state.disputes[disputeId];
      if (known) return known.frozenMicroUsd;
      const { availableMicroUsd } = await this.spending.funds(accountId);
      const frozen = availableMicroUsd <= 0n ? 0n : availableMicroUsd < disputedMicroUsd ? availableMicroUsd : disputedMicroUsd;
      const command: CreditsCommand = { type: 'FreezeDisputedCredits', accountId, disputeId, paymentId, disputedMicroUsd, frozenMicroUsd: frozen, at: context.occurredAt };
      if (frozen === 0n) {
        await this.run(accountId, command, context);
        return 0n;
      }
      try {
        await this.spending.spend(accountId, disputeId, frozen, () => this.run(accountId, command, context));
        return frozen;
      } catch (err) {
        // Spent between the look and the hold: look again.
        if (err instanceof DomainError && err.code === 'insufficient_credits' && attempt < FREEZE_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  releaseDispute(accountId: string, disputeId: string, context: CommandContext): Promise<Position | null> {
    return this.run(accountId, { type: 'ReleaseDisputedCredits', accountId, disputeId, at: context.occurredAt }, context);
  }

  recordDisputeLost(accountId: string, disputeId: string, context: CommandContext): Promise<Position | null> {
    return this.run(accountId, { type: 'RecordDisputeLost', accountId, disputeId, at: context.occurredAt }, context);
  }

  private async run(accountId: string, command: CreditsCommand, context: CommandContext): Promise<Position | null> {
    return (await handleCommand(this.store, creditsStream(accountId), creditsDecider, command, context)).position;
  }
}
