import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalid, unauthorized } from '../platform/errors/domain-error';

/**
 * Checks a Telegram login widget payload (https://core.telegram.org/widgets/login#checking-authorization):
 * hash = hex(HMAC-SHA-256(data_check_string, key = SHA-256(bot token))), where the
 * data-check-string is every received field except `hash`, as `key=value`, sorted by key and
 * joined with "\n". Pure: the current time comes in as an argument.
 */
const FIELDS_MAX = 20;
const VALUE_MAX = 1_024;
const FIELD_NAME = /^[a-z_]{1,32}$/;
/** Clocks drift: an auth_date this far ahead of ours is still accepted. */
export const TELEGRAM_CLOCK_SKEW_SECONDS = 60;

export interface TelegramUser {
  id: string;
  displayName: string | null;
  picture: string | null;
}

export function verifyTelegramLogin(body: unknown, botToken: string, maxAgeSeconds: number, nowSeconds: number): TelegramUser {
  const fields = readFields(body);
  const { hash, ...signed } = fields;
  if (!hash || !/^[0-9a-f]{64}$/.test(hash)) throw invalid('invalid_body', 'hash must be 64 hex characters.');
  if (!signed.id || !/^\d{1,20}$/.test(signed.id)) throw invalid('invalid_body', 'id must be a Telegram user id.');
  if (!signed.auth_date || !/^\d{1,12}$/.test(signed.auth_date)) throw invalid('invalid_body', 'auth_date must be a Unix time in seconds.');

  const dataCheckString = Object.keys(signed)
    .sort()
    .map((k) => `${k}=${signed[k]}`)
    .join('\n');
  const secretKey = createHash('sha256').update(botToken).digest();
  const expected = createHmac('sha256', secretKey).update(dataCheckString).digest();
  // Checked before the time so a forged payload learns nothing from which check failed.
  if (!timingSafeEqual(expected, Buffer.from(hash, 'hex'))) throw unauthorized('telegram_hash_invalid', 'The Telegram login data is not signed by our bot.');

  const authDate = Number(signed.auth_date);
  if (authDate > nowSeconds + TELEGRAM_CLOCK_SKEW_SECONDS) throw unauthorized('telegram_auth_date_invalid', 'The Telegram login is dated in the future.');
  if (nowSeconds - authDate > maxAgeSeconds) throw unauthorized('telegram_auth_expired', 'The Telegram login is too old; sign in again.');

  const name = [signed.first_name, signed.last_name].filter(Boolean).join(' ').trim();
  return {
    id: signed.id,
    displayName: (name || signed.username || null)?.slice(0, 100) ?? null,
    picture: signed.photo_url && /^https:\/\//.test(signed.photo_url) ? signed.photo_url : null,
  };
}

/** Every field is signed, including ones Telegram may add later, so all of them are kept (within limits). */
function readFields(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid_body', 'The body must be a JSON object.');
  const entries = Object.entries(body);
  if (entries.length > FIELDS_MAX) throw invalid('invalid_body', `At most ${FIELDS_MAX} fields.`);
  const fields: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!FIELD_NAME.test(key)) throw invalid('invalid_body', 'Field names are lower-case letters and underscores.');
    if (typeof value === 'number' && Number.isSafeInteger(value)) fields[key] = String(value);
    else if (typeof value === 'string' && value.length <= VALUE_MAX) fields[key] = value;
    else throw invalid('invalid_body', `${key} must be a string of at most ${VALUE_MAX} characters or an integer.`);
  }
  return fields;
}
