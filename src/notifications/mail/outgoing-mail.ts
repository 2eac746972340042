import { MailCategory } from './mail-categories';

export type { MailCategory } from './mail-categories';

/** One rendered mail. The address lives only in the queued job, never in the mail log. */
export interface OutgoingMail {
  /**
   * Derived from what caused the mail (the event, or the sign-up's nonce), so a retry or a
   * replay of the same cause is recognised and never mailed twice.
   */
  notificationId: string;
  category: MailCategory;
  /** Whose mail it is: required for an optional category (the sender checks the person's preferences). */
  accountId?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Set by the sender for optional categories: the one-click unsubscribe link (RFC 8058 headers). */
  unsubscribeUrl?: string;
}

/** Addresses in an SMTP server's answer are replaced before the answer is kept (the log holds no address). */
export const withoutAddresses = (text: string): string => text.replace(/[^\s<>"'@]+@[^\s<>"'@]+/g, '<address>').slice(0, 500);
