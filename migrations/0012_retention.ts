import { Kysely, sql } from 'kysely';

/**
 * Retention (issue 9): usage detail is rolled up into a day summary and removed, old sign-ins
 * are removed. Every read model must come out the same built live (details, then the summary)
 * or rebuilt from the summary alone, so the ledger loses its positional columns:
 * - tx_no becomes the event's position in the store (its prepare position: unique per event on
 *   both adapters), not a counter;
 * - a posting's running balance and entry number are computed at query time, in
 *   (occurred_at, tx_no, posting_no) order, instead of being stored.
 * Existing ledger rows were numbered by the old counter and would collide with positions, so
 * they are emptied and the shared checkpoint reset: the runner replays $all into the ledger
 * (every other projector skips events it already holds).
 *
 * Two small tables are the sweep's own bookkeeping (not read models; losing them only costs a
 * re-read): usage streams whose summary is appended but whose details may not be removed yet,
 * and what the sign-in sweep last saw of each sign-in stream.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM (SELECT 1 FROM ledger_transactions LIMIT 1) x`.execute(db);
  if (rows[0].n !== '0') {
    await sql`TRUNCATE ledger_transactions, ledger_postings, ledger_balances`.execute(db);
    await sql`UPDATE projection_checkpoints SET commit_position = NULL, prepare_position = NULL, updated_at = now()`.execute(db);
  }
  await sql`ALTER TABLE ledger_postings DROP COLUMN balance_after_micro_usd, DROP COLUMN entry_no`.execute(db);
  await sql`DROP INDEX ledger_postings_account_time_idx`.execute(db);
  await sql`CREATE INDEX ledger_postings_statement_idx ON ledger_postings (ledger_account, occurred_at, tx_no, posting_no) INCLUDE (amount_micro_usd)`.execute(db);
  await sql`CREATE INDEX ledger_transactions_stream_idx ON ledger_transactions (stream, revision)`.execute(db);
  // The sweep's candidates: usage days not yet summarised, by the day in the stream name (the
  // query names the type as a literal, so the planner can use this partial index).
  await sql`CREATE INDEX stream_index_usage_open_idx ON stream_index (right(stream, 10), stream) WHERE category = 'usage' AND last_event_type <> 'UsageDaySummarized'`.execute(db);
  await sql`
    CREATE TABLE retention_pending_truncations (
      stream text PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE retention_signins (
      stream text PRIMARY KEY,
      last_revision bigint NOT NULL,
      oldest_kept_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE retention_signins, retention_pending_truncations`.execute(db);
  await sql`DROP INDEX stream_index_usage_open_idx`.execute(db);
  await sql`DROP INDEX ledger_transactions_stream_idx`.execute(db);
  await sql`DROP INDEX ledger_postings_statement_idx`.execute(db);
  await sql`CREATE INDEX ledger_postings_account_time_idx ON ledger_postings (ledger_account, occurred_at)`.execute(db);
  await sql`TRUNCATE ledger_transactions, ledger_postings, ledger_balances`.execute(db);
  await sql`UPDATE projection_checkpoints SET commit_position = NULL, prepare_position = NULL, updated_at = now()`.execute(db);
  await sql`ALTER TABLE ledger_postings ADD COLUMN balance_after_micro_usd bigint NOT NULL, ADD COLUMN entry_no bigint NOT NULL, ADD UNIQUE (ledger_account, entry_no)`.execute(db);
}
