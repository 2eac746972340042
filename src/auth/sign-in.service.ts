import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { now } from '../platform/clock';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../platform/personal-data/personal-data.vault';
import { CreditsService } from '../ledger/credits.service';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { SignInMethod } from '../accounts/account.events';
import { ClientInfo } from './client-info';
import { SignInResult } from './principal';
import { SignInEvent, signInStream } from './sign-in.events';
import { IssuedSession, SessionsService } from './sessions.service';
import { AccountEligibilityService } from '../accounts/eligibility/account-eligibility.service';

const VERIFIED_METHODS: ReadonlySet<SignInMethod> = new Set(['google', 'telegram']);

/** The common end of every sign-in method: record the sign-in, then start a session. */
@Injectable()
export class SignInService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly sessions: SessionsService,
    private readonly credits: CreditsService,
    private readonly eligibility: AccountEligibilityService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async complete(result: SignInResult, client: ClientInfo): Promise<IssuedSession> {
    const at = now();
    const event: SignInEvent = {
      type: 'SignedIn',
      data: {
        method: result.method,
        ip: await this.vault.sealOptional(result.accountId, client.ip),
        userAgent: await this.vault.sealOptional(result.accountId, client.userAgent),
        signedInAt: at,
      },
    };
    // 'any': an append-only log with no invariant to protect, so concurrent sign-ins never conflict.
    await this.store.append(
      signInStream(result.accountId),
      [{ id: randomUUID(), type: event.type, data: event.data, metadata: { actorId: result.accountId, occurredAt: at } }],
      'any',
    );
    if (result.created && (VERIFIED_METHODS.has(result.method) || result.emailProven)) await this.grantFreeTier(result.accountId, at);
    // Issue 22: the versions in force are recorded as seen when they changed since the last sign-in.
    await this.eligibility.recordPolicyVersionsSeen(result.accountId, { actorId: result.accountId, occurredAt: at });
    return this.sessions.start(result.accountId, result.method, client.userAgent);
  }

  /**
   * P15: the free tier goes once per account, and only to accounts created by a verified identity
   * (Google, Telegram, or an email proven by its mailed link), which is claimed by one account only. A failure here must not
   * fail the sign-in; the grant is idempotent, so an operator can grant it later.
   */
  private async grantFreeTier(accountId: string, at: string): Promise<void> {
    try {
      await this.credits.grantFreeTier(accountId, { actorId: 'system:free-tier', occurredAt: at });
    } catch (err) {
      this.logger.warn({ accountId, err: (err as Error).message }, 'free-tier grant failed');
    }
  }
}
