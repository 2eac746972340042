import { htmlMail, RenderedMail, textMail } from './layout';

/**
 * Security notices: one function a notice, text and HTML from the same sentences. None carries a
 * secret: a key is named by its name and visible prefix, never in full.
 */
const WHY = 'You received this security notice because it concerns your Tollgate account. Security notices cannot be turned off.';
const IF_NOT_YOU = 'If this was not you, sign in, change your password and revoke any key you do not recognise, then tell support.';

function notice(title: string, paragraphs: string[]): RenderedMail {
  return { subject: title, text: textMail(paragraphs, null, WHY), html: htmlMail(title, paragraphs, null, WHY) };
}

export const apiKeyCreatedMail = (input: { name: string; prefix: string; at: string }) =>
  notice('A new API key was created', [`An API key named "${input.name}" (starting ${input.prefix}) was created on your account at ${input.at}.`, IF_NOT_YOU]);

export const apiKeyRevokedMail = (input: { name: string; prefix: string; at: string }) =>
  notice('An API key was revoked', [
    `The API key${input.name ? ` named "${input.name}"` : ''} (starting ${input.prefix}) was revoked at ${input.at}. Requests made with it are refused from now on.`,
    IF_NOT_YOU,
  ]);

export const passwordChangedMail = (input: { at: string }) =>
  notice('Your password was changed', [`The password of your account was set or changed at ${input.at}. Every other session was signed out.`, IF_NOT_YOU]);

export const accountSuspendedMail = (input: { reason: string; at: string }) =>
  notice('Your account was suspended', [
    `Your account was suspended at ${input.at}. The reason given: ${input.reason}.`,
    'While it is suspended, sign-in and API keys are refused. Reply to support if you think this is a mistake.',
  ]);

export const accountReinstatedMail = (input: { at: string }) =>
  notice('Your account was reinstated', [`Your account was reinstated at ${input.at}: sign-in and your API keys work again.`]);
