import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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
  private readonly links: SignedLinks;

  constructor(
    private readonly accounts: AccountsService,
    private readonly emailChange: EmailChangeService,
    @Inject(SECRETS) secrets: Secrets,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.links = new SignedLinks(secrets, 'email-change-proof', { code: 'email_change', link: 'email change link', renew: 'ask for the change again to get a new one.' });
  }

  async start(accountId: string, newEmail: string): Promise<void> {
    const prepared = await this.emailChange.prepareEmailChange(accountId, newEmail);
    const counter = `${this.config.redisKeyPrefix}email-change-mails:${this.accounts.identityHash('email', prepared.email)}`;
    const sent = await this.redis.multi().incr(counter).expire(counter, 3_600, 'NX').exec();
    if (Number(sent?.[0]?.[1] ?? 0) > this.config.mail.signUpMailsPerAddressPerHour) throw tooMany();
    const nonce = randomBytes(16).toString('base64url');
    if (prepared.exists) {
      await this.outbox.enqueue({ notificationId: `email-in-use-${nonce}`, category: 'account', to: prepared.email, ...emailInUseMail() });
      return;
    }
    const ttlMs = this.config.mail.signUpLinkTtlMs;
    await this.redis.set(this.pendingKey(nonce), accountId, 'PX', ttlMs);
    const token = this.links.sign({ email: prepared.email, nonce, expiresAt: Date.now() + ttlMs });
    const mail = emailChangeProofMail({ link: `${this.config.publicUrl}${EMAIL_CHANGE_CONFIRM_PATH}?token=${token}`, expiresInHours: Math.round(ttlMs / 3_600_000) });
    await this.outbox.enqueue({ notificationId: `email-change-${nonce}`, category: 'account', to: prepared.email, ...mail });
  }

  /** The link followed (signed in or not: it proves the address; the request proved the account). Each link works once. */
  async confirm(token: string): Promise<{ accountId: string }> {
    const claims = this.links.verify(token);
    const accountId = await this.redis.getdel(this.pendingKey(claims.nonce));
    if (accountId === null) throw invalid('email_change_link_used', 'This email change link was already used.');
    await this.emailChange.changeEmail(accountId, claims.email, { actorId: accountId, occurredAt: now() });
    return { accountId };
  }

  private pendingKey(nonce: string): string {
    return `${this.config.redisKeyPrefix}email-change:${nonce}`;
  }
}
