/** Text as HTML text. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Plain, accessible HTML: one column, real text (no images), the language declared, a link that
 * is also written out. Every mail ends by naming why it was sent.
 */
export function htmlMail(title: string, paragraphs: string[], action: { label: string; url: string } | null, why: string): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const button = action
    ? `<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>\n<p>Or paste this address into your browser:<br>${escapeHtml(action.url)}</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<h1 style="font-size: 1.3em">${escapeHtml(title)}</h1>
${body}
${button}
<hr>
<p style="font-size: 0.9em">${escapeHtml(why)}</p>
</body>
</html>
`;
}

export const textMail = (paragraphs: string[], action: { label: string; url: string } | null, why: string): string =>
  [...paragraphs, ...(action ? [`${action.label}: ${action.url}`] : []), '--', why].join('\n\n') + '\n';
