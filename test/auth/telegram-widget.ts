import { createHash, createHmac } from 'node:crypto';

export const TELEGRAM_BOT_TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

/** What Telegram's login widget hands the page: the user's fields, signed with our bot's token. */
export function widgetPayload(fields: Record<string, string | number>, botToken = TELEGRAM_BOT_TOKEN): Record<string, string | number> {
  const dataCheckString = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('\n');
  const hash = createHmac('sha256', createHash('sha256').update(botToken).digest()).update(dataCheckString).digest('hex');
  return { ...fields, hash };
}

export const unixNow = () => Math.floor(Date.now() / 1000);
