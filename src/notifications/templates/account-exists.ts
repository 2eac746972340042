import { htmlMail, RenderedMail, textMail } from './layout';

/**
 * Sent instead of a proof when the address already has an account: the sign-up form gives every
 * address the same answer, so it cannot be used to learn who has an account.
 */
export function accountExistsMail(input: { signInUrl: string }): RenderedMail {
  const title = 'You already have a Tollgate account';
  const paragraphs = [
    'Someone (we hope you) tried to create a Tollgate account with this email address, but an account with it already exists. No new account was created.',
    'If it was you, sign in instead (with your password, or with Google if that is how you signed up). If it was not you, you need not do anything.',
  ];
  const action = { label: 'Sign in', url: input.signInUrl };
  const why = 'You received this because this address was entered at sign-up on Tollgate. It is an account mail.';
  return { subject: title, text: textMail(paragraphs, action, why), html: htmlMail(title, paragraphs, action, why) };
}
