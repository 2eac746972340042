import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AccountsService } from '../../accounts/accounts.service';
import { now } from '../../platform/clock';
import { invalid, DomainError } from '../../platform/errors/domain-error';
import { Attestation } from '../../accounts/account.decide';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { EligibilityInput } from '../../accounts/eligibility/eligibility';
import { MAIL_OUTBOX, MailOutbox } from '../../notifications/mail/mail-outbox';
import { accountExistsMail } from '../../notifications/templates/account-exists';
import { emailProofMail } from '../../notifications/templates/email-proof';
import { REDIS } from '../../platform/redis/redis.module';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { SIGN_UP_PAGE } from './confirm-page';
import { ProofLinks } from './proof-links';
import { SignedLinks } from './signed-link';
import { AccountEligibilityService } from '../../accounts/eligibility/account-eligibility.service';

/**
 * What waits in Redis for the link (never the address): the password's hash, the display name, and
 * the attestation made on the form (issue 22: the versions accepted and when), which become the
 * account's first events at confirmation.
 */
interface PendingSignUp {
  passwordHash: string;
  displayName: string | null;
  /** Absent on sign-ups started before attestations were recorded: those must sign up again. */
  attestation?: Attestation;
}

export const SIGN_UP_CONFIRM_PATH = SIGN_UP_PAGE.action;

const tooMany = () => new DomainError('rate_limited', 'sign_up_mails_limited', 'Too many sign-up mails to this address in the last hour; try again later.', 3_600);

/**
 * Password sign-up proves the email before anything is claimed (issue 15, item 3): the first step
 * checks the input, hashes the password and mails a signed, expiring link; only following it
 * registers the account, claims the address and grants the free tier. So nobody can take an
 * address they cannot read mail at, and a later Google sign-in with that address never lands in
 * an account a stranger made for it. Every address gets the same answer (an address that has an
 * account is mailed a notice instead), so the form does not tell who has an account.
 */
@Injectable()
export class SignUpProof {
  private readonly links: ProofLinks;

  constructor(
    private readonly accounts: AccountsService,
    private readonly eligibility: AccountEligibilityService,
    @Inject(SECRETS) secrets: Secrets,
    @Inject(REDIS) redis: Redis,
    @Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const signed = new SignedLinks(secrets, 'email-proof', { code: 'sign_up', link: 'sign-up link', renew: 'sign up again to get a new one.' });
    this.links = new ProofLinks(signed, redis, config, 'sign-up', (email) => accounts.identityHash('email', email), tooMany);
  }

  async start(input: { email: string; password: string; displayName: string | null; eligibility: EligibilityInput }): Promise<void> {
    const prepared = await this.accounts.prepareSignUp(input);
    const attestation = await this.eligibility.checkAttestation(input.eligibility, now());
    const nonce = await this.links.countMail(prepared.email);
    if (prepared.exists) {
      const mail = accountExistsMail({ signInUrl: `${this.config.appUrl ?? this.config.publicUrl}` });
      await this.outbox.enqueue({ notificationId: `sign-up-exists-${nonce}`, category: 'account', to: prepared.email, ...mail });
      return;
    }
    const pending: PendingSignUp = { passwordHash: prepared.passwordHash, displayName: prepared.displayName, attestation };
    const mail = emailProofMail(await this.links.issue(nonce, prepared.email, JSON.stringify(pending), SIGN_UP_CONFIRM_PATH));
    await this.outbox.enqueue({ notificationId: `sign-up-${nonce}`, category: 'account', to: prepared.email, ...mail });
  }

  /** The link followed: registers the account with the proven address. Each link works once. */
  async confirm(token: string): Promise<{ accountId: string }> {
    const { email, pending: raw } = await this.links.redeem(token);
    if (raw === null) throw invalid('sign_up_link_used', 'This sign-up link was already used; sign in, or sign up again.');
    const pending = JSON.parse(raw) as PendingSignUp;
    if (!pending.attestation) throw invalid('eligibility_required', 'This sign-up was started before age and terms confirmation was asked; sign up again.');
    return this.accounts.register(
      { email, passwordHash: pending.passwordHash, displayName: pending.displayName, via: 'password', eligibility: pending.attestation },
      { actorId: 'self', occurredAt: now() },
    );
  }
}
