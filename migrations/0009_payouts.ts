import { Kysely, sql } from 'kysely';

/**
 * Provider payouts read model (projections/payouts.projection.ts): one row per payout with its
 * status and who moved it (the actor of each finance step, P11). Money moves only through the
 * ledger; this table is the queue finance works from and the provider's list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payouts (
      provider_id text NOT NULL,
      payout_id text NOT NULL,
      amount_micro_usd bigint NOT NULL,
      status text NOT NULL,
      requested_at timestamptz NOT NULL,
      requested_by text,
      approved_at timestamptz,
      approved_by text,
      rejected_at timestamptz,
      rejected_by text,
      reject_reason text,
      paid_at timestamptz,
      paid_by text,
      reference text,
      updated_at timestamptz NOT NULL,
      revision bigint NOT NULL,
      PRIMARY KEY (provider_id, payout_id)
    )`.execute(db);
  await sql`CREATE INDEX payouts_status_idx ON payouts (status, requested_at)`.execute(db);
  await sql`CREATE INDEX payouts_provider_idx ON payouts (provider_id, requested_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE payouts`.execute(db);
}
