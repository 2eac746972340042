import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'sk1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A secret we must use again (an upstream vendor's API key), sealed at rest with AES-256-GCM
 * under a key derived from APP_SECRET (Secrets.key): a leaked database alone does not reveal it.
 * The same layout as the personal-data vault (iv · tag · ciphertext, base64url), but the key is
 * derived rather than stored, since nothing here is shredded per person. `aad` binds the sealed
 * value to its owner (a row copied onto another upstream does not open).
 */
export function sealWithKey(key: Buffer, aad: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Throws on a value not sealed for this aad under this key (tampered, or another APP_SECRET). */
export function openWithKey(key: Buffer, aad: string, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
