import { Kysely, sql } from 'kysely';

/**
 * Node honesty read models (projections/node-reputation.projection.ts, earnings-holds.projection.ts):
 * - node_trust_streams: the last revision applied per `nodetrust-{nodeId}-{day}` stream (replays are skipped);
 * - node_trust_daily: per node and UTC day, probe outcomes, discrepancies by kind, reported vs counted tokens;
 * - node_trust_incidents: each failed probe and discrepancy, kept for the 31 days before the newest one;
 * - node_reputation: per node, the latest judged probe outcomes (time, passed) in $all order;
 * - earnings_holds: holds for review on payout streams and the admin's decision.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE node_trust_streams (stream text PRIMARY KEY, revision bigint NOT NULL)`.execute(db);
  await sql`
    CREATE TABLE node_trust_daily (
      node_id text NOT NULL,
      day date NOT NULL,
      provider_id text NOT NULL,
      probes_passed bigint NOT NULL DEFAULT 0,
      probes_failed bigint NOT NULL DEFAULT 0,
      probes_unanswered bigint NOT NULL DEFAULT 0,
      probe_cost_micro_usd bigint NOT NULL DEFAULT 0,
      discrepancies jsonb NOT NULL DEFAULT '{}',
      discrepancies_total bigint NOT NULL DEFAULT 0,
      counted_requests bigint NOT NULL DEFAULT 0,
      reported_tokens bigint NOT NULL DEFAULT 0,
      counted_tokens bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (node_id, day)
    )`.execute(db);
  await sql`
    CREATE TABLE node_trust_incidents (
      event_id uuid PRIMARY KEY,
      node_id text NOT NULL,
      provider_id text NOT NULL,
      model text NOT NULL,
      type text NOT NULL,
      kind text NOT NULL,
      reported text,
      bound text,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX node_trust_incidents_node_idx ON node_trust_incidents (node_id, at)`.execute(db);
  await sql`CREATE INDEX node_trust_incidents_at_idx ON node_trust_incidents (at)`.execute(db);
  await sql`
    CREATE TABLE node_reputation (
      node_id text PRIMARY KEY,
      provider_id text NOT NULL,
      recent_probes jsonb NOT NULL DEFAULT '[]'
    )`.execute(db);
  await sql`
    CREATE TABLE earnings_holds (
      review_id text PRIMARY KEY,
      provider_id text NOT NULL,
      node_id text NOT NULL,
      from_day date NOT NULL,
      to_day date NOT NULL,
      status text NOT NULL,
      reason text NOT NULL,
      held_at timestamptz NOT NULL,
      held_by text,
      decided_at timestamptz,
      decided_by text,
      decision_reason text,
      clawed_back_micro_usd bigint,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX earnings_holds_status_idx ON earnings_holds (status, held_at)`.execute(db);
  await sql`CREATE INDEX earnings_holds_node_idx ON earnings_holds (node_id, held_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE earnings_holds, node_reputation, node_trust_incidents, node_trust_daily, node_trust_streams`.execute(db);
}
