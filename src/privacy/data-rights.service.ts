import { Inject, Injectable } from '@nestjs/common';
import { DeletionChannel } from '../accounts/account.events';
import { deletionDueAt } from '../accounts/account.decide';
import { AccountsService } from '../accounts/accounts.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { SessionStore } from '../auth/session-store';
import { notFound } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { CommandContext } from '../platform/event-sourcing/decider';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DELETION_NOTE_MAX = 1_000;

export interface DeletionStatus {
  requestedAt: string | null;
  dueAt: string | null;
}

/**
 * The person's rights over their account (P9 deletion, P10 restriction). The account events are
 * the record; this adds what must happen at once beside them: keys revoked and sessions ended on
 * a deletion request, so nothing keeps acting for the person while they wait for the grace period.
 */
@Injectable()
export class DataRightsService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Records the request (idempotent: a pending one keeps its due time), then revokes every API key
   * (one audited ApiKeyRevoked each) and ends every session. Keys stay revoked if the request is
   * cancelled: the person creates new ones.
   */
  async requestDeletion(
    accountId: string,
    request: { channel: DeletionChannel; note: string | null },
    context: CommandContext,
  ): Promise<DeletionStatus & { revokedKeys: number; endedSessions: number }> {
    await this.assertAccount(accountId);
    const dueAt = new Date(Date.parse(context.occurredAt) + this.config.privacy.deletionGraceDays * DAY_MS).toISOString();
    await this.accounts.requestDeletion(accountId, { dueAt, channel: request.channel, note: request.note }, context);
    const revokedKeys = await this.keys.revokeAll(accountId, context);
    const endedSessions = await this.sessions.endAll(accountId);
    this.logger.info({ accountId, channel: request.channel, actorId: context.actorId, revokedKeys, endedSessions }, 'account deletion requested');
    return { ...(await this.status(accountId)), revokedKeys, endedSessions };
  }

  /** Within the grace period only (after it, the account is gone). Revoked keys stay revoked. */
  async cancelDeletion(accountId: string, context: CommandContext): Promise<DeletionStatus> {
    await this.assertAccount(accountId);
    await this.accounts.cancelDeletion(accountId, context);
    return this.status(accountId);
  }

  async restrict(accountId: string, context: CommandContext): Promise<void> {
    await this.assertAccount(accountId);
    await this.accounts.restrictProcessing(accountId, context);
  }

  async lift(accountId: string, context: CommandContext): Promise<void> {
    await this.assertAccount(accountId);
    await this.accounts.liftRestriction(accountId, context);
  }

  /** From the events, so it is never stale. */
  async status(accountId: string): Promise<DeletionStatus> {
    const state = await this.accounts.state(accountId);
    return { requestedAt: state.deletionRequestedAt, dueAt: deletionDueAt(state, this.config.privacy.deletionGraceDays) };
  }

  private async assertAccount(accountId: string): Promise<void> {
    if (!(await this.accounts.exists(accountId))) throw notFound('account_not_found', 'No such account.');
  }
}
