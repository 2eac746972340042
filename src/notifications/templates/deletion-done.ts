import { htmlMail, RenderedMail, textMail } from './layout';

/**
 * P9: the last mail to a deleted account, queued just before its key is shredded (afterwards the
 * address cannot be opened by anyone, us included).
 */
export function deletionDoneMail(input: { at: string }): RenderedMail {
  const title = 'Your account was deleted';
  const paragraphs = [
    `Your Tollgate account was deleted at ${input.at}. Its personal data can no longer be read by anyone: the key it was sealed with was destroyed, and its API keys and sessions were ended.`,
    'Payment records are kept for the period the law requires, without your personal data. No further mail will be sent to this address.',
  ];
  const why = 'You received this because your Tollgate account was deleted. Mails about your data rights cannot be turned off.';
  return { subject: title, text: textMail(paragraphs, null, why), html: htmlMail(title, paragraphs, null, why) };
}
