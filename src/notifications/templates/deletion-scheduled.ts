import { htmlMail, RenderedMail, textMail } from './layout';

/** P9: the account will be deleted on `dueAt` unless the person cancels. */
export function deletionScheduledMail(input: { dueAt: string; cancelUrl: string }): RenderedMail {
  const title = 'Your account is scheduled for deletion';
  const paragraphs = [
    `Your account and its personal data will be deleted on ${input.dueAt}. Payment records are kept as the law requires, without your personal data.`,
    'To keep the account, sign in before then and cancel the deletion (DELETE /me/deletion-request, or the button in the dashboard).',
  ];
  const why = 'You received this because a deletion of your Tollgate account was requested. Mails about your data rights cannot be turned off.';
  return {
    subject: title,
    text: textMail(paragraphs, { label: 'Sign in to cancel', url: input.cancelUrl }, why),
    html: htmlMail(title, paragraphs, { label: 'Sign in to cancel', url: input.cancelUrl }, why),
  };
}
