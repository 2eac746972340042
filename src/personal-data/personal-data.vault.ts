import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { Database } from '../database/schema';

const PREFIX = 'pd1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CACHE_MAX = 10_000;

/**
 * Personal data is stored only sealed with a per-person key (AES-256-GCM): in events and in read
 * models alike. Deleting the person's key (crypto-shredding) makes every copy unreadable while
 * the ledger, which holds no personal data in clear, stays intact. Keys are never logged.
 */
export class PersonalDataVault {
  private readonly cache = new Map<string, Buffer | null>();

  constructor(private readonly db: Kysely<Database>) {}

  async seal(subjectId: string, plaintext: string): Promise<string> {
    const key = await this.keyFor(subjectId, true);
    if (!key) throw new Error(`personal data key of ${subjectId} was shredded`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(subjectId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  async sealOptional(subjectId: string, plaintext: string | null | undefined): Promise<string | null> {
    return plaintext === null || plaintext === undefined ? null : this.seal(subjectId, plaintext);
  }

  /** null when there is nothing, or when the person's key has been shredded. */
  async open(subjectId: string, sealed: string | null | undefined): Promise<string | null> {
    if (!sealed) return null;
    if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
    const key = await this.keyFor(subjectId, false);
    if (!key) return null;
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(subjectId));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /**
   * Crypto-shredding: destroys the subject's key (a row is kept, marked shredded, so the subject
   * can never be given a new key that would seal under the old name). Idempotent. Other
   * processes may still hold the key in memory; they only ever need it to open, and nothing
   * opens a shredded subject's data in normal operation.
   */
  async shred(subjectId: string): Promise<void> {
    await this.db
      .insertInto('personal_data_keys')
      .values({ subject_id: subjectId, key: null, shredded_at: new Date() })
      .onConflict((oc) => oc.column('subject_id').doUpdateSet({ key: null, shredded_at: new Date() }).where('personal_data_keys.shredded_at', 'is', null))
      .execute();
    this.cache.set(subjectId, null);
  }

  private async keyFor(subjectId: string, create: boolean): Promise<Buffer | null> {
    const cached = this.cache.get(subjectId);
    if (cached !== undefined && (cached !== null || !create)) return cached;
    if (create) {
      await this.db
        .insertInto('personal_data_keys')
        .values({ subject_id: subjectId, key: randomBytes(32) })
        .onConflict((oc) => oc.column('subject_id').doNothing())
        .execute();
    }
    const row = await this.db.selectFrom('personal_data_keys').select(['key', 'shredded_at']).where('subject_id', '=', subjectId).executeTakeFirst();
    const key = row && !row.shredded_at && row.key ? row.key : null;
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(subjectId, key);
    return key;
  }
}

export const PERSONAL_DATA_VAULT = Symbol('PersonalDataVault');
