import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { notFound } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/config';
import { handleCommand, loadAggregate } from '../event-sourcing/command-handler';
import { CommandContext } from '../event-sourcing/decider';
import { EVENT_STORE, EventStore, Position } from '../event-store/event-store.port';
import { formatUsd } from '../ledger/money';
import { availableForPayout, PayoutCommand, payoutDecider } from './payout.decide';
import { PayoutEvent, payoutStream } from './payout.events';
import { PayoutQueries } from './payout.queries';

export interface PayoutAvailability {
  currency: 'USD';
  /** Earnings recorded so far (held back or not), payouts not subtracted. */
  earnedMicroUsd: string;
  /** Earnings younger than the holdback: they may still be disputed. */
  heldBackMicroUsd: string;
  /** Requested or approved payouts not yet paid. */
  openMicroUsd: string;
  paidMicroUsd: string;
  /** earned − heldBack − open − paid, never below zero. */
  availableMicroUsd: string;
  availableUsd: string;
  minimumMicroUsd: string;
  holdbackDays: number;
  /** Earnings recorded at or before this instant count as matured. */
  maturedBefore: string;
}

export interface PayoutResult {
  payoutId: string;
  recorded: boolean;
  event: PayoutEvent | null;
  position: Position | null;
}

type FinanceCommand = Exclude<PayoutCommand, { type: 'RequestPayout' }>;

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
    const { maturedMicroUsd } = await this.queries.earnings(providerId, this.cutoff(new Date(context.occurredAt)));
    return this.run(providerId, {
      type: 'RequestPayout',
      providerId,
      payoutId,
      amountMicroUsd,
      maturedEarningsMicroUsd: maturedMicroUsd,
      minimumMicroUsd: this.config.payouts.minimumMicroUsd,
      at: context.occurredAt,
    }, context);
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
    const earnings = await this.queries.earnings(providerId, cutoff);
    const { state } = await loadAggregate(this.store, payoutStream(providerId), payoutDecider);
    const available = availableForPayout(state, earnings.maturedMicroUsd);
    return {
      currency: 'USD',
      earnedMicroUsd: (earnings.maturedMicroUsd + earnings.heldBackMicroUsd).toString(),
      heldBackMicroUsd: earnings.heldBackMicroUsd.toString(),
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
    return { payoutId: command.payoutId, recorded: events.length > 0, event: events[0] ?? null, position };
  }
}
