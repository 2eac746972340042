import { Kysely, sql } from 'kysely';

/**
 * Mail preferences (issue 16, item 3): the read model of the `notifications-{accountId}` streams,
 * and the low-balance watch, the worker's own state per account that set a threshold (the balance
 * it last saw, the position that balance includes, whether the current dip was already mailed).
 * A removed threshold keeps its row (threshold and balance null), so a replayed older setting is
 * recognised by its revision.
 * mail_log.outcome gains 'skipped' (an optional mail the person turned off); no constraint to change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE notification_preferences (
      account_id text PRIMARY KEY,
      turned_off text[] NOT NULL DEFAULT '{}',
      marketing_consent_at timestamptz,
      low_balance_threshold_micro_usd bigint,
      revision bigint NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  // A marketing send picks its recipients here: only those who consented.
  await sql`CREATE INDEX notification_preferences_marketing_idx ON notification_preferences (marketing_consent_at) WHERE marketing_consent_at IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE low_balance_watch (
      account_id text PRIMARY KEY,
      threshold_micro_usd bigint,
      threshold_revision bigint NOT NULL,
      balance_micro_usd bigint,
      balance_commit bigint,
      balance_prepare bigint,
      alerted boolean NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE low_balance_watch`.execute(db);
  await sql`DROP TABLE notification_preferences`.execute(db);
}
