import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AccountsService } from '../../accounts/accounts.service';
import { now } from '../../platform/clock';
import { DomainError, invalid } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { MAIL_OUTBOX, MailOutbox } from '../../notifications/mail/mail-outbox';
import { emailChangeProofMail, emailInUseMail } from '../../notifications/templates/email-change';
import { REDIS } from '../../platform/redis/redis.module';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { EMAIL_CHANGE_PAGE } from './confirm-page';
import { ProofLinks } from './proof-links';
import { SignedLinks } from './signed-link';
import { EmailChangeService } from '../../accounts/email-change/email-change.service';

export const EMAIL_CHANGE_CONFIRM_PATH = EMAIL_CHANGE_PAGE.action;

const tooMany = () => new DomainError('rate_limited', 'email_change_mails_limited', 'Too many mails to this address in the last hour; try again later.', 3_600);

/**
 * An email change proves the new address as a sign-up does: the signed-in account (re-authenticated
 * by its caller) asks, a signed, expiring, single-use link goes to the new address, and only
 * following it claims the address and records EmailChanged; the old address is then told
 * (a notice). An address another account signs in with gets a notice instead of a link, and the
 * asker the same answer, so the form does not tell who has an account.
 */
@Injectable()
export class EmailChangeProof {
  private readonly links: ProofLinks;

  constructor(
    accounts: AccountsService,
    private readonly emailChange: EmailChangeService,
    @Inject(SECRETS) secrets: Secrets,
    @Inject(REDIS) redis: Redis,
    @Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const signed = new SignedLinks(secrets, 'email-change-proof', { code: 'email_change', link: 'email change link', renew: 'ask for the change again to get a new one.' });
    this.links = new ProofLinks(signed, redis, config, 'email-change', (email) => accounts.identityHash('email', email), tooMany);
  }

  async start(accountId: string, newEmail: string): Promise<void> {
    const prepared = await this.emailChange.prepareEmailChange(accountId, newEmail);
    const nonce = await this.links.countMail(prepared.email);
    if (prepared.exists) {
      await this.outbox.enqueue({ notificationId: `email-in-use-${nonce}`, category: 'account', to: prepared.email, ...emailInUseMail() });
      return;
    }
    const mail = emailChangeProofMail(await this.links.issue(nonce, prepared.email, accountId, EMAIL_CHANGE_CONFIRM_PATH));
    await this.outbox.enqueue({ notificationId: `email-change-${nonce}`, category: 'account', to: prepared.email, ...mail });
  }

  /** The link followed (signed in or not: it proves the address; the request proved the account). Each link works once. */
  async confirm(token: string): Promise<{ accountId: string }> {
    const { email, pending: accountId } = await this.links.redeem(token);
    if (accountId === null) throw invalid('email_change_link_used', 'This email change link was already used.');
    await this.emailChange.changeEmail(accountId, email, { actorId: accountId, occurredAt: now() });
    return { accountId };
  }
}
