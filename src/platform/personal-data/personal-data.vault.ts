import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { Database } from '../database/schema';

const PREFIX = 'pd1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CACHE_MAX = 10_000;
/** A shredded key is forgotten by every other process within this long (this one forgets it at once). */
export const KEY_CACHE_TTL_MS = 60_000;

/**
 * Personal data is stored only sealed with a per-person key (AES-256-GCM): in events and in read
 * models alike. Deleting the person's key (crypto-shredding) makes every copy unreadable while
 * the ledger, which holds no personal data in clear, stays intact. Keys are never logged.
 */
export class PersonalDataVault {
  private readonly cache = new Map<string, { key: Buffer | null; loadedAtMs: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Crypto-shredding: the key is removed (shredded_at records when), so every sealed copy of the
   * person's data — in events, read models, backups of either — is unreadable for good. A person
   * who never had a key gets a shredded row, so nothing can be sealed for them afterwards.
   * Idempotent: returns false when the key was already gone.
   */
  async shred(subjectId: string, at: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('personal_data_keys')
      .values({ subject_id: subjectId, key: null, shredded_at: at })
      .onConflict((oc) => oc.column('subject_id').doUpdateSet({ key: null, shredded_at: at }).where('personal_data_keys.key', 'is not', null))
      .executeTakeFirst();
    this.cache.delete(subjectId);
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

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

  private async keyFor(subjectId: string, create: boolean): Promise<Buffer | null> {
    const cached = this.cache.get(subjectId);
    if (cached !== undefined && Date.now() - cached.loadedAtMs < KEY_CACHE_TTL_MS && (cached.key !== null || !create)) return cached.key;
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
    this.cache.delete(subjectId); // re-inserted last: the oldest entry is the first evicted
    this.cache.set(subjectId, { key, loadedAtMs: Date.now() });
    return key;
  }
}

export const PERSONAL_DATA_VAULT = Symbol('PersonalDataVault');
