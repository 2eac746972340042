import { htmlMail, RenderedMail, textMail } from './layout';

/**
 * An email change (issue 16): the proof link to the new address, the notice to the old one, and
 * the answer to a new address that already has an account (the same reply for every address).
 */
const WHY_NEW = 'You received this because this address was entered as the new email of a Tollgate account. It is an account mail.';

export function emailChangeProofMail(input: { link: string; expiresInHours: number }): RenderedMail {
  const title = 'Confirm your new email address';
  const paragraphs = [
    'Someone (we hope you) asked to make this the email address of their Tollgate account.',
    `Follow the link below within ${input.expiresInHours} hours to confirm it. The link works once; until then the account keeps its old address.`,
    'If it was not you, ignore this mail: nothing changes.',
  ];
  const action = { label: 'Confirm my new email address', url: input.link };
  return { subject: title, text: textMail(paragraphs, action, WHY_NEW), html: htmlMail(title, paragraphs, action, WHY_NEW) };
}

export function emailInUseMail(): RenderedMail {
  const title = 'This address already has a Tollgate account';
  const paragraphs = [
    'Someone (we hope you) asked to make this the email address of a Tollgate account, but another account already signs in with it. Nothing was changed.',
    'If it was you, sign in with this address instead, or delete that account first. If it was not you, you need not do anything.',
  ];
  return { subject: title, text: textMail(paragraphs, null, WHY_NEW), html: htmlMail(title, paragraphs, null, WHY_NEW) };
}

/** To the old address: a stolen session must not move an account away without its owner hearing of it. */
export function emailChangedMail(input: { at: string }): RenderedMail {
  const title = 'Your email address was changed';
  const paragraphs = [
    `The email address of your Tollgate account was changed at ${input.at}, after the new address was confirmed. This address no longer signs in, and mails now go to the new one.`,
    'If this was not you, tell support at once: reply to this mail or write from this address.',
  ];
  const why = 'You received this security notice because it concerns the Tollgate account that used this address. Security notices cannot be turned off.';
  return { subject: title, text: textMail(paragraphs, null, why), html: htmlMail(title, paragraphs, null, why) };
}
