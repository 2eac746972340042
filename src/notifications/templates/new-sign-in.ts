import { htmlMail, RenderedMail, textMail } from './layout';

/**
 * A sign-in from a browser or program the account had not signed in from before (by its user
 * agent, among the sign-in records still kept). The device is the person's own data, sent only to
 * them; the IP address is not put in a mail (mail passes through relays we do not control).
 */
export function newSignInMail(input: { method: string; device: string; at: string }): RenderedMail {
  const title = 'New sign-in to your account';
  const paragraphs = [
    `Your account was signed in to with ${input.method} at ${input.at} from a device it had not been used from before:`,
    input.device,
    'If this was you, there is nothing to do. If it was not, change your password (this signs out every other session) and revoke any API key you do not recognise, then tell support.',
  ];
  const why = 'You received this security notice because it concerns your Tollgate account. Security notices cannot be turned off.';
  return { subject: title, text: textMail(paragraphs, null, why), html: htmlMail(title, paragraphs, null, why) };
}
