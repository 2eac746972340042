import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { isOptionalCategory, OptionalCategory } from '../mail/mail-categories';
import { OutgoingMail } from '../mail/outgoing-mail';
import { escapeHtml } from '../templates/layout';
import { receives } from './preferences.decide';
import { PreferencesService } from './preferences.service';
import { UNSUBSCRIBE_PATH, UnsubscribeTokens } from './unsubscribe-token';

export const CATEGORY_LABELS: Record<OptionalCategory, string> = {
  'low-balance': 'low-balance alerts',
  'node-status': 'node status alerts',
  product: 'product news',
  marketing: 'marketing mails',
};

/**
 * The sender's check at send time (not when queuing: a choice made while the mail waited
 * counts). Essential mails pass untouched and carry no unsubscribe link. An optional one is
 * dropped when the person turned its category off; otherwise it gets its one-click link, in the
 * headers (RFC 8058, set by the transport) and at the foot of the text and the HTML.
 */
@Injectable()
export class MailConsent {
  private readonly tokens: UnsubscribeTokens;

  constructor(
    private readonly preferences: PreferencesService,
    @Inject(SECRETS) secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.tokens = new UnsubscribeTokens(secrets);
  }

  /** The mail to send, or why not. */
  async prepare(mail: OutgoingMail): Promise<{ send: OutgoingMail } | { skip: string }> {
    if (!isOptionalCategory(mail.category)) return { send: mail };
    // Whose preferences to honour and whom the link would unsubscribe: without it, not sent.
    if (!mail.accountId) return { skip: 'optional mail without an account' };
    if (!receives(await this.preferences.current(mail.accountId), mail.category)) return { skip: 'turned off by the person' };
    const url = `${this.config.publicUrl}${UNSUBSCRIBE_PATH}?token=${this.tokens.sign({ accountId: mail.accountId, category: mail.category })}`;
    return { send: withUnsubscribeLink(mail, url, CATEGORY_LABELS[mail.category]) };
  }
}

export function withUnsubscribeLink(mail: OutgoingMail, url: string, label: string): OutgoingMail {
  const line = `Unsubscribe from ${label}`;
  const html = `<p style="font-size: 0.9em"><a href="${escapeHtml(url)}">${escapeHtml(line)}</a> (one click; essential mails about security, billing and your account still arrive).</p>\n`;
  return {
    ...mail,
    unsubscribeUrl: url,
    text: `${mail.text}\n${line}: ${url}\n`,
    html: mail.html.includes('</body>') ? mail.html.replace('</body>', `${html}</body>`) : mail.html + html,
  };
}
