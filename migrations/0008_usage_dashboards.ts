import { Kysely, sql } from 'kysely';

/**
 * Dashboards' read models of usage (projections/usage.projection.ts):
 * - usage_daily: one row per account, UTC day, key, model, endpoint and node ('' when none) —
 *   the grain of src/metering/usage-summary.ts, so rows are built alike from request-level
 *   details and from a day summary. Histograms are dense, one count per LATENCY_BUCKETS bucket.
 * - usage_days: the last stream revision applied per account-day (replayed events are skipped).
 * - network_minutes: requests, failures and spend per minute over the 24 h before the newest
 *   applied request (the high-water mark is the newest row itself, so it needs no clock).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE usage_daily (
      account_id text NOT NULL,
      day date NOT NULL,
      key_id text NOT NULL,
      model text NOT NULL,
      endpoint text NOT NULL,
      node_id text NOT NULL,
      provider_id text,
      requests bigint NOT NULL,
      completed bigint NOT NULL,
      client_disconnected bigint NOT NULL,
      upstream_failed bigint NOT NULL,
      estimated bigint NOT NULL,
      input_tokens bigint NOT NULL,
      output_tokens bigint NOT NULL,
      images bigint NOT NULL,
      cost_micro_usd bigint NOT NULL,
      provider_share_micro_usd bigint NOT NULL,
      latency_hist integer[] NOT NULL,
      ttft_hist integer[] NOT NULL,
      PRIMARY KEY (account_id, day, key_id, model, endpoint, node_id)
    )`.execute(db);
  await sql`CREATE INDEX usage_daily_provider_idx ON usage_daily (provider_id, day) WHERE provider_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX usage_daily_day_idx ON usage_daily (day)`.execute(db);
  await sql`
    CREATE TABLE usage_days (
      account_id text NOT NULL,
      day date NOT NULL,
      revision bigint NOT NULL,
      PRIMARY KEY (account_id, day)
    )`.execute(db);
  await sql`
    CREATE TABLE network_minutes (
      minute timestamptz PRIMARY KEY,
      requests bigint NOT NULL,
      upstream_failed bigint NOT NULL,
      cost_micro_usd bigint NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS network_minutes`.execute(db);
  await sql`DROP TABLE IF EXISTS usage_days`.execute(db);
  await sql`DROP TABLE IF EXISTS usage_daily`.execute(db);
}
