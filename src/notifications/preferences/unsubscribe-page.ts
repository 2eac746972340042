import { escapeHtml } from '../templates/layout';
import { UNSUBSCRIBE_PATH } from './unsubscribe-token';

/**
 * The unsubscribe link's page: one button that posts (a GET changes nothing, because mail
 * scanners follow links), or, once done (`token` null), what happened.
 */
export function unsubscribePage(label: string, token: string | null): string {
  const body =
    token === null
      ? `<h1>You are unsubscribed</h1>\n<p>You will no longer receive ${escapeHtml(label)}. Essential mails about security, billing and your account still arrive. You can turn it back on in your notification settings.</p>`
      : `<h1>Unsubscribe</h1>
<p>Press the button to stop receiving ${escapeHtml(label)} from Tollgate.</p>
<form method="post" action="${UNSUBSCRIBE_PATH}?token=${escapeHtml(encodeURIComponent(token))}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe from ${escapeHtml(label)}</button>
</form>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tollgate: unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5">
${body}
</body>
</html>
`;
}
