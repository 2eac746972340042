import { Kysely, sql } from 'kysely';

/**
 * Policy notices (issue 16 item 4): one row per published policy version, the notice worker's
 * progress through the accounts (a keyset cursor), so a restart resumes where it stopped. Not a
 * read model: the mails' own ids (version + account) make a repeated batch a no-op.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE policy_notice_runs (
      kind text NOT NULL,
      version text NOT NULL,
      effective_at timestamptz NOT NULL,
      cursor_registered_at timestamptz,
      cursor_account_id text,
      queued integer NOT NULL DEFAULT 0,
      finished_at timestamptz,
      PRIMARY KEY (kind, version)
    )`.execute(db);
  await sql`CREATE INDEX accounts_registered_idx ON accounts (registered_at, account_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX accounts_registered_idx`.execute(db);
  await sql`DROP TABLE policy_notice_runs`.execute(db);
}
