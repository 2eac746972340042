import { Kysely, sql } from 'kysely';

/**
 * Data rights (P9, P10) on the accounts read model: when a requested deletion is due, when it
 * completed, and whether processing is restricted. The partial index is the deletion sweep's
 * work list: pending requests only, so it stays small however many accounts exist.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE accounts
      ADD COLUMN deletion_due_at timestamptz,
      ADD COLUMN deleted_at timestamptz,
      ADD COLUMN restricted_at timestamptz`.execute(db);
  await sql`CREATE INDEX accounts_deletion_due_idx ON accounts (deletion_due_at) WHERE deletion_requested_at IS NOT NULL AND deleted_at IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX accounts_deletion_due_idx`.execute(db);
  await sql`ALTER TABLE accounts DROP COLUMN deletion_due_at, DROP COLUMN deleted_at, DROP COLUMN restricted_at`.execute(db);
}
