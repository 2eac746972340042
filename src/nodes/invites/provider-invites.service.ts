import { Inject, Injectable } from '@nestjs/common';
import { AccountsService, normalizeEmail } from '../../accounts/accounts.service';
import { base62 } from '../../api-keys/api-key.format';
import { invalid, notFound } from '../../platform/errors/domain-error';
import { handleCommand } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { providerInviteDecider } from './provider-invite.decide';
import { providerInviteStream } from './provider-invite.events';
import { AccountEligibilityService } from '../../accounts/eligibility/account-eligibility.service';
import { AccountRolesService } from '../../accounts/roles/account-roles.service';

/** `tg_inv_<inviteId>_<secret>`: shown once to the admin, who passes it on; only its keyed hash is stored. */
const INVITE_TOKEN = /^tg_inv_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
export const INVITE_TTL_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * Provider onboarding (P18: invite-only). An admin invites an email; the person signs in with an
 * account holding that email and accepts with the token, which grants the provider role (the only
 * way it is granted).
 */
@Injectable()
export class ProviderInvitesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SECRETS) private readonly secrets: Secrets,
    private readonly accounts: AccountsService,
    private readonly roles: AccountRolesService,
    private readonly eligibility: AccountEligibilityService,
  ) {}

  async issue(email: string, context: CommandContext): Promise<{ inviteId: string; token: string; expiresAt: string }> {
    const normalized = normalizeEmail(typeof email === 'string' ? email : '');
    if (!EMAIL.test(normalized)) throw invalid('invalid_email', 'That is not an email address.');
    const inviteId = base62(12);
    const token = `tg_inv_${inviteId}_${base62(32)}`;
    const expiresAt = new Date(Date.parse(context.occurredAt) + INVITE_TTL_MS).toISOString();
    await handleCommand(
      this.store,
      providerInviteStream(inviteId),
      providerInviteDecider,
      {
        type: 'IssueProviderInvite',
        inviteId,
        emailHash: this.accounts.identityHash('email', normalized),
        tokenHash: this.hashToken(token),
        expiresAt,
        at: context.occurredAt,
      },
      context,
    );
    return { inviteId, token, expiresAt };
  }

  /**
   * The signed-in account accepts, and with it the provider terms (the version in force, issue 22):
   * it must hold the invited email. Grants the provider role, after ProviderTermsAccepted.
   */
  async accept(accountId: string, token: string, context: CommandContext, providerTermsVersion: string): Promise<{ inviteId: string }> {
    const match = INVITE_TOKEN.exec(typeof token === 'string' ? token : '');
    if (!match) throw notFound('invite_not_found', 'This invite does not exist or was withdrawn.');
    await this.eligibility.checkProviderTerms(providerTermsVersion, context.occurredAt); // before the invite is used
    const inviteId = match[1];
    const stream = providerInviteStream(inviteId);
    const accountEmailHash = (await this.accounts.state(accountId)).emailHash; // the address it signs in with now
    await handleCommand(
      this.store,
      stream,
      providerInviteDecider,
      {
        type: 'AcceptProviderInvite',
        tokenHash: this.hashToken(token),
        accountId,
        accountEmailHash,
        at: context.occurredAt,
      },
      context,
    );
    // Accepting again is a no-op, so a failure here is repaired by accepting again.
    await this.eligibility.acceptProviderTerms(accountId, providerTermsVersion, inviteId, context);
    await this.roles.grantRole(accountId, 'provider', context, true);
    return { inviteId };
  }

  async revoke(inviteId: string, context: CommandContext): Promise<void> {
    if (!/^[0-9A-Za-z]{12}$/.test(inviteId)) throw notFound('invite_not_found', 'This invite does not exist or was withdrawn.');
    await handleCommand(this.store, providerInviteStream(inviteId), providerInviteDecider, { type: 'RevokeProviderInvite', at: context.occurredAt }, context);
  }

  private hashToken(token: string): string {
    return this.secrets.hash('provider-invite', token);
  }
}
