import { htmlMail, RenderedMail, textMail } from './layout';

/** Sent at password sign-up: the account exists only once this link is followed. */
export function emailProofMail(input: { link: string; expiresInHours: number }): RenderedMail {
  const title = 'Confirm your email to create your Tollgate account';
  const paragraphs = [
    'Someone (we hope you) asked to create a Tollgate account with this email address and a password.',
    `Follow the link below within ${input.expiresInHours} hours to confirm the address and create the account. The link works once.`,
    'If it was not you, ignore this mail: no account is created and nothing else will be sent.',
  ];
  const action = { label: 'Confirm my email and create the account', url: input.link };
  const why = 'You received this because this address was entered at sign-up on Tollgate. It is an account mail and is sent only once per sign-up.';
  return { subject: title, text: textMail(paragraphs, action, why), html: htmlMail(title, paragraphs, action, why) };
}
