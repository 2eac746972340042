import { Kysely, sql } from 'kysely';

/**
 * KYC read model (P17): status and the masked numbers, still sealed with the person's profile
 * key. The numbers themselves are only in the events, sealed per submission. The partial index
 * serves the retention sweep: decided, numbers not yet shredded, oldest decision first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE kyc_verifications (
      account_id text PRIMARY KEY,
      status text NOT NULL,
      submission_id text NOT NULL,
      pan_masked_sealed text NOT NULL,
      aadhaar_masked_sealed text NOT NULL,
      submitted_at timestamptz NOT NULL,
      decided_at timestamptz,
      decided_by text,
      rejection_reason text,
      numbers_shredded_at timestamptz,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX kyc_verifications_retention_idx ON kyc_verifications (decided_at) WHERE numbers_shredded_at IS NULL AND decided_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE kyc_verifications`.execute(db);
}
