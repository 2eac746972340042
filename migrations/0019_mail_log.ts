import { Kysely, sql } from 'kysely';

/**
 * The mail log (issue 16): one row per notification, metadata only (no address, no text). The
 * primary key is what makes a retried or replayed notification a no-op once it was sent; rows of
 * mails that failed every attempt are the admins' dead letters.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE mail_log (
      notification_id text PRIMARY KEY,
      category text NOT NULL,
      outcome text NOT NULL,
      attempts integer NOT NULL,
      last_error text,
      finished_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX mail_log_outcome_idx ON mail_log (outcome, finished_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE mail_log`.execute(db);
}
