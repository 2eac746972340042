import { escapeHtml } from '../../notifications/templates/layout';

/** The words of one kind of mailed link's page. */
export interface ConfirmPageText {
  /** Where the form posts the token. */
  action: string;
  title: string;
  explain: string;
  button: string;
  doneTitle: string;
  done: string;
}

export const SIGN_UP_PAGE: ConfirmPageText = {
  action: '/auth/register/confirm',
  title: 'Confirm your email',
  explain: 'Press the button to confirm this address and create your Tollgate account.',
  button: 'Confirm my email and create the account',
  doneTitle: 'Your account is ready',
  done: 'Your email is confirmed and you are signed in.',
};

export const EMAIL_CHANGE_PAGE: ConfirmPageText = {
  action: '/auth/email/confirm',
  title: 'Confirm your new email address',
  explain: 'Press the button to make this the email address of your Tollgate account.',
  button: 'Confirm my new email address',
  doneTitle: 'Your email address was changed',
  done: 'Sign in with the new address from now on.',
};

/**
 * A mailed link's page: a form that posts the token (no script, so it works under any CSP; a GET
 * changes nothing, because mail scanners follow links), or, once confirmed (`token` null), where
 * to go next.
 */
export function confirmPage(text: ConfirmPageText, token: string | null, appUrl: string | null = null): string {
  const body =
    token === null
      ? `<h1>${escapeHtml(text.doneTitle)}</h1>\n<p>${escapeHtml(text.done)}${appUrl ? ` <a href="${escapeHtml(appUrl)}">Go to Tollgate</a>.` : ''}</p>`
      : `<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.explain)}</p>
<form method="post" action="${escapeHtml(text.action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">${escapeHtml(text.button)}</button>
</form>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tollgate: ${escapeHtml(text.title.toLowerCase())}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5">
${body}
</body>
</html>
`;
}
