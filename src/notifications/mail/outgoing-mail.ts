/**
 * Why a mail is sent. Essential categories cannot be turned off; `node-status` (operational
 * alerts to providers) is optional.
 */
export type MailCategory = 'account' | 'security' | 'billing' | 'privacy' | 'provider' | 'node-status';

/** One rendered mail. The address lives only in the queued job, never in the mail log. */
export interface OutgoingMail {
  /**
   * Derived from what caused the mail (the event, or the sign-up's nonce), so a retry or a
   * replay of the same cause is recognised and never mailed twice.
   */
  notificationId: string;
  category: MailCategory;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Addresses in an SMTP server's answer are replaced before the answer is kept (the log holds no address). */
export const withoutAddresses = (text: string): string => text.replace(/[^\s<>"'@]+@[^\s<>"'@]+/g, '<address>').slice(0, 500);
