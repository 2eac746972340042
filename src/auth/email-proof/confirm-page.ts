import { escapeHtml } from '../../notifications/templates/layout';
import { SIGN_UP_CONFIRM_PATH } from './sign-up-proof';

/**
 * The sign-up link's page: a form that posts the token (no script, so it works under any CSP),
 * or, once confirmed (`token` null), where to go next.
 */
export function confirmPage(token: string | null, appUrl: string | null = null): string {
  const body =
    token === null
      ? `<h1>Your account is ready</h1>\n<p>Your email is confirmed and you are signed in.${appUrl ? ` <a href="${escapeHtml(appUrl)}">Go to Tollgate</a>.` : ''}</p>`
      : `<h1>Confirm your email</h1>
<p>Press the button to confirm this address and create your Tollgate account.</p>
<form method="post" action="${SIGN_UP_CONFIRM_PATH}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Confirm my email and create the account</button>
</form>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tollgate: confirm your email</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5">
${body}
</body>
</html>
`;
}
