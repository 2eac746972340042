import { Kysely, sql } from 'kysely';

/**
 * Per-person encryption keys (crypto-shredding), and the accounts and API keys read models.
 * Read models hold personal fields only sealed (as in the events) plus keyed hashes for lookups,
 * so shredding a person's key anonymises them without rewriting a row.
 * api_key_usage is not a read model: the hot path writes "last used" there in batches.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE personal_data_keys (
      subject_id text PRIMARY KEY,
      key bytea,
      created_at timestamptz NOT NULL DEFAULT now(),
      shredded_at timestamptz,
      CHECK ((key IS NULL) = (shredded_at IS NOT NULL))
    )`.execute(db);
  await sql`
    CREATE TABLE accounts (
      account_id text PRIMARY KEY,
      email_hash text NOT NULL,
      email_sealed text,
      display_name_sealed text,
      picture_sealed text,
      roles text[] NOT NULL,
      status text NOT NULL,
      registered_via text NOT NULL,
      registered_at timestamptz NOT NULL,
      deletion_requested_at timestamptz,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX accounts_email_hash_idx ON accounts (email_hash)`.execute(db);
  await sql`
    CREATE TABLE api_keys (
      key_id text PRIMARY KEY,
      account_id text NOT NULL,
      name text NOT NULL,
      prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      requests_per_minute integer,
      tokens_per_minute integer,
      created_at timestamptz NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      replaced_by text,
      rotated_from text,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX api_keys_account_idx ON api_keys (account_id, created_at DESC)`.execute(db);
  await sql`
    CREATE TABLE api_key_usage (
      key_id text PRIMARY KEY,
      last_used_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['api_key_usage', 'api_keys', 'accounts', 'personal_data_keys']) await sql`DROP TABLE ${sql.table(t)}`.execute(db);
}
