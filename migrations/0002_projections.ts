import { Kysely, sql } from 'kysely';

/**
 * Projection checkpoints, written in the same transaction as the read-model rows they cover,
 * and the first read model: an index of streams (support and tooling find a stream by category).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE projection_checkpoints (
      name text PRIMARY KEY,
      commit_position numeric(20, 0),
      prepare_position numeric(20, 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE stream_index (
      stream text PRIMARY KEY,
      category text NOT NULL,
      revision bigint NOT NULL,
      event_count bigint NOT NULL,
      first_event_at timestamptz NOT NULL,
      last_event_at timestamptz NOT NULL,
      last_event_type text NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX stream_index_category_idx ON stream_index (category, last_event_at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE stream_index`.execute(db);
  await sql`DROP TABLE projection_checkpoints`.execute(db);
}
