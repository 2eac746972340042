import { Kysely, sql } from 'kysely';

/**
 * The credit ledger's read models: one row per money event (transaction), one per posting with
 * the running balance of its ledger account, and each ledger account's totals. Postings are
 * debit-positive; per transaction and over the whole table they sum to zero (the trial balance).
 * tx_no and entry_no are assigned in $all order, so a rebuild numbers them identically.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_transactions (
      tx_no bigint PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      stream text NOT NULL,
      revision bigint NOT NULL,
      type text NOT NULL,
      owner_id text,
      reference text,
      reason text,
      actor_id text,
      amount_micro_usd bigint NOT NULL,
      occurred_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX ledger_transactions_occurred_idx ON ledger_transactions (occurred_at, tx_no)`.execute(db);
  await sql`CREATE INDEX ledger_transactions_type_idx ON ledger_transactions (type, tx_no)`.execute(db);
  await sql`CREATE INDEX ledger_transactions_owner_idx ON ledger_transactions (owner_id, tx_no)`.execute(db);
  await sql`
    CREATE TABLE ledger_postings (
      tx_no bigint NOT NULL,
      posting_no smallint NOT NULL,
      ledger_account text NOT NULL,
      amount_micro_usd bigint NOT NULL,
      balance_after_micro_usd bigint NOT NULL,
      entry_no bigint NOT NULL,
      occurred_at timestamptz NOT NULL,
      PRIMARY KEY (tx_no, posting_no),
      UNIQUE (ledger_account, entry_no)
    )`.execute(db);
  await sql`CREATE INDEX ledger_postings_account_time_idx ON ledger_postings (ledger_account, occurred_at)`.execute(db);
  await sql`
    CREATE TABLE ledger_balances (
      ledger_account text PRIMARY KEY,
      kind text NOT NULL,
      owner_id text,
      normal_side text NOT NULL,
      balance_micro_usd bigint NOT NULL,
      debits_micro_usd bigint NOT NULL,
      credits_micro_usd bigint NOT NULL,
      entries bigint NOT NULL,
      last_tx_no bigint NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX ledger_balances_owner_idx ON ledger_balances (owner_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ledger_balances, ledger_postings, ledger_transactions`.execute(db);
}
