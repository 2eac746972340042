import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccountsService, AccountView } from '../accounts/accounts.service';
import { verifyPassword } from '../accounts/password';
import { DomainError, forbidden, invalid } from '../platform/errors/domain-error';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EmailChangeProof } from '../auth/email-proof/email-change-proof';
import { SessionPrincipal } from '../platform/access/principal';
import { SignInThrottle } from '../auth/sign-in.throttle';
import { SessionsService } from '../auth/sessions.service';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { ProfileService } from '../accounts/profile/profile.service';

/** A new account's read-model row trails its events by the projection lag (milliseconds in one process). */
const VIEW_WAIT_MS = 2_000;
const VIEW_POLL_MS = 50;

/** The signed-in account acting on itself. */
@Injectable()
export class MeService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly profile: ProfileService,
    private readonly throttle: SignInThrottle,
    private readonly sessions: SessionsService,
    private readonly emailChange: EmailChangeProof,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The read model, with roles and status from the events (so they are never stale). */
  async view(principal: SessionPrincipal): Promise<AccountView> {
    const deadline = Date.now() + VIEW_WAIT_MS;
    for (;;) {
      try {
        const view = await this.accounts.view(principal.accountId);
        return { ...view, roles: principal.roles, status: principal.status };
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'account_not_found')) throw err;
        if (Date.now() > deadline) throw new ServiceUnavailableException('The account is still being set up; retry in a moment.');
        await sleep(VIEW_POLL_MS);
      }
    }
  }

  /**
   * Knowing the current password is required to replace it, so a stolen session cannot take
   * over the password sign-in. Accounts made with Google or Telegram have none and may set one,
   * from a session signed in within RECENT_SIGN_IN_SECONDS (an old stolen session cannot).
   * Wrong guesses count against the same limits as failed sign-ins. Once changed, every other
   * session ends: whoever else was signed in must prove the new credential.
   */
  async changePassword(principal: SessionPrincipal, currentPassword: string | undefined, newPassword: string, ip: string | null, context: CommandContext): Promise<void> {
    await this.reauthenticate(principal, currentPassword, ip, 'to set a password', 'to change the password');
    await this.profile.changePassword(principal.accountId, newPassword, context);
    await this.sessions.endOthers(principal);
  }

  /** The same proof as a password change (a stolen session cannot move the account to another address), then a link to the new one. */
  async changeEmail(principal: SessionPrincipal, currentPassword: string | undefined, newEmail: string, ip: string | null): Promise<void> {
    await this.reauthenticate(principal, currentPassword, ip, 'to change the email', 'to change the email');
    await this.emailChange.start(principal.accountId, newEmail);
  }

  /** The current password if the account has one, else a sign-in within RECENT_SIGN_IN_SECONDS. */
  private async reauthenticate(principal: SessionPrincipal, currentPassword: string | undefined, ip: string | null, withoutPassword: string, withPassword: string): Promise<void> {
    const state = await this.accounts.state(principal.accountId);
    if (state.passwordHash) {
      if (currentPassword === undefined) throw invalid('current_password_required', `currentPassword is required ${withPassword}.`);
      const keys = this.throttle.keys(`account:${principal.accountId}`, ip);
      await this.throttle.assertAllowed(keys);
      if (!(await verifyPassword(currentPassword, state.passwordHash))) {
        await this.throttle.recordFailure(keys);
        throw forbidden('wrong_password', 'The current password is wrong.');
      }
      await this.throttle.recordSuccess(keys);
    } else if (!(await this.sessions.signedInRecently(principal, this.config.recentSignInSeconds * 1000))) {
      throw forbidden('recent_sign_in_required', `Sign in again ${withoutPassword}: it can be done only within ${this.config.recentSignInSeconds} seconds of signing in.`);
    }
  }
}
