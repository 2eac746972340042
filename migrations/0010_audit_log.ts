import { Kysely, sql } from 'kysely';

/**
 * The audit log read model: one row per StaffActionRecorded (staff HTTP actions, reads included,
 * and operator CLI commands). Rows are keyed by event id, so a replayed event changes nothing.
 * `target_ids` holds the target's values so "everything done to account X" is one index probe.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audit_log (
      event_id uuid PRIMARY KEY,
      stream text NOT NULL,
      revision bigint NOT NULL,
      at timestamptz NOT NULL,
      actor_id text NOT NULL,
      actor_roles text[] NOT NULL,
      action text NOT NULL,
      channel text NOT NULL,
      target jsonb NOT NULL,
      target_ids text[] NOT NULL,
      query jsonb NOT NULL,
      outcome_status integer,
      outcome_exit_code integer,
      outcome_code text NOT NULL,
      request_id text
    )`.execute(db);
  await sql`CREATE INDEX audit_log_at_idx ON audit_log (at DESC, event_id DESC)`.execute(db);
  await sql`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC)`.execute(db);
  await sql`CREATE INDEX audit_log_target_idx ON audit_log USING gin (target_ids)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log`.execute(db);
}
