import { randomBytes } from 'node:crypto';

/**
 * `tg_live_<publicId>_<secret>`: the public id (12 base62 chars) names the key in lists and logs;
 * the secret (32 base62 chars, ≈ 190 bits) is shown once and only its keyed hash is stored.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PUBLIC_ID_LENGTH = 12;
const SECRET_LENGTH = 32;
export const API_KEY_PATTERN = /^tg_live_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;

export function base62(length: number): string {
  // Rejection sampling keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export interface GeneratedKey {
  keyId: string;
  prefix: string;
  fullKey: string;
}

export function generateApiKey(): GeneratedKey {
  const keyId = base62(PUBLIC_ID_LENGTH);
  const prefix = `tg_live_${keyId}`;
  return { keyId, prefix, fullKey: `${prefix}_${base62(SECRET_LENGTH)}` };
}

/** The public id of a well-formed key, or null: malformed keys are refused before any lookup. */
export function parseApiKey(value: string): { keyId: string } | null {
  const match = API_KEY_PATTERN.exec(value);
  return match ? { keyId: match[1] } : null;
}
