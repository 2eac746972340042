import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AccountsService } from '../accounts/accounts.service';
import { conflict, DomainError, notFound } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { handleCommand } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore, Position } from '../platform/event-store/event-store.port';
import { CreditsCommand, creditsDecider } from './credits/credits.decide';
import { CreditsEvent, creditsStream } from './credits.events';
import { CreditSpending } from './spending/credit-spending';

export interface RecordedMoney {
  /** False when the command was a repeat and nothing new was recorded. */
  recorded: boolean;
  event: CreditsEvent | null;
  position: Position | null;
}

type Command<T extends CreditsCommand['type']> = Omit<Extract<CreditsCommand, { type: T }>, 'type' | 'accountId' | 'at'>;

/**
 * Money commands on a developer's credits stream. Adding credits is a plain append; taking
 * credits away goes through a Redis hold first, exactly like metered usage, so it can never
 * overdraw credits that requests in flight are spending.
 */
@Injectable()
export class CreditsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly spending: CreditSpending,
  ) {}

  /** Exactly once per payment id, whoever reports the payment first (payments issue). */
  recordPurchase(accountId: string, input: Command<'RecordPurchase'>, context: CommandContext): Promise<RecordedMoney> {
    return this.run(accountId, { type: 'RecordPurchase', ...input, accountId, at: context.occurredAt }, context);
  }

  /** Once per account; a no-op when already granted or when the free tier is configured to 0. */
  grantFreeTier(accountId: string, context: CommandContext): Promise<RecordedMoney> {
    return this.run(accountId, { type: 'GrantFreeTier', accountId, amountMicroUsd: this.config.ledger.freeTierMicroUsd, at: context.occurredAt }, context);
  }

  /** Above APPROVAL_THRESHOLD_USD this records a request (CreditOperationRequested) that another staff member approves. */
  async grant(accountId: string, amountMicroUsd: bigint, reason: string, context: CommandContext, grantId: string = randomUUID()): Promise<RecordedMoney> {
    await this.assertAccount(accountId);
    return this.run(accountId, { type: 'GrantCredits', accountId, grantId, amountMicroUsd, reason, ...this.fourEyes(context), at: context.occurredAt }, context);
  }

  /** A positive correction above APPROVAL_THRESHOLD_USD waits for approval like a grant; a negative one never does. */
  async correct(accountId: string, amountMicroUsd: bigint, reason: string, context: CommandContext, correctionId: string = randomUUID()): Promise<RecordedMoney> {
    await this.assertAccount(accountId);
    const command: CreditsCommand = { type: 'CorrectCredits', accountId, correctionId, amountMicroUsd, reason, ...this.fourEyes(context), at: context.occurredAt };
    if (amountMicroUsd >= 0n) return this.run(accountId, command, context);
    return this.spendThenRun(accountId, correctionId, -amountMicroUsd, command, context);
  }

  /** The second staff member: the grant or correction is applied now, naming both. */
  async approve(accountId: string, operationId: string, context: CommandContext): Promise<RecordedMoney> {
    await this.assertAccount(accountId);
    return this.run(accountId, { type: 'ApproveCreditOperation', accountId, operationId, approverId: context.actorId, at: context.occurredAt }, context);
  }

  async reject(accountId: string, operationId: string, reason: string, context: CommandContext): Promise<RecordedMoney> {
    await this.assertAccount(accountId);
    return this.run(accountId, { type: 'RejectCreditOperation', accountId, operationId, rejectedBy: context.actorId, reason, at: context.occurredAt }, context);
  }

  private fourEyes(context: CommandContext): { requestedBy: string; approvalThresholdMicroUsd: bigint } {
    return { requestedBy: context.actorId, approvalThresholdMicroUsd: this.config.security.approvalThresholdMicroUsd };
  }

  refund(accountId: string, input: Command<'RefundCredits'>, context: CommandContext): Promise<RecordedMoney> {
    const command: CreditsCommand = { type: 'RefundCredits', ...input, accountId, at: context.occurredAt };
    return this.spendThenRun(accountId, input.refundId, input.amountMicroUsd, command, context);
  }

  private async spendThenRun(accountId: string, holdId: string, amountMicroUsd: bigint, command: CreditsCommand, context: CommandContext): Promise<RecordedMoney> {
    let result: RecordedMoney = { recorded: false, event: null, position: null };
    try {
      await this.spending.spend(accountId, holdId, amountMicroUsd, async () => {
        result = await this.run(accountId, command, context);
        return result.position;
      });
    } catch (err) {
      // On the admin side, "not enough credits" is a conflict with the current balance, not a payment request.
      if (err instanceof DomainError && err.code === 'insufficient_credits') throw conflict('insufficient_credits', err.message);
      throw err;
    }
    return result;
  }

  private async run(accountId: string, command: CreditsCommand, context: CommandContext): Promise<RecordedMoney> {
    const { events, position } = await handleCommand(this.store, creditsStream(accountId), creditsDecider, command, context);
    return { recorded: events.length > 0, event: events[0] ?? null, position };
  }

  private async assertAccount(accountId: string): Promise<void> {
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(accountId) || !(await this.accounts.exists(accountId))) throw notFound('account_not_found', 'No such account.');
  }
}
