import { Kysely, sql } from 'kysely';
import { STREAM_LOCK_CLASS } from './0007_append_to_streams';

const SIGNATURE = sql.raw('(text, text, bigint, uuid[], text[], jsonb[], jsonb[])');

/**
 * A single-stream append takes the stream's lock too, the one append_to_streams (0007) takes.
 *
 * Without it, concurrent appends to one hot stream with expected revision 'any' (every staff
 * request writes one to the day's audit-{day} stream) all read the same current revision and
 * all but one lose on the unique (stream, revision) key; a client retry cap then turned a busy
 * moment into refused requests (6 of 128 at 32 concurrent). Under the lock each append reads
 * the revision after the previous one committed, so an 'any' append never loses a race, and an
 * append at an expected revision that lost one is told so at once (a conflict), without a
 * unique violation. The lock is held until commit, so one stream takes one append at a time
 * (a few thousand a second); appends to other streams do not wait for each other.
 *
 * The function of 0001 keeps its checks and insert, renamed; the new append_to_stream takes the
 * lock and calls it. Its statements then run with snapshots taken after the lock was granted,
 * so they see every commit they waited for. An advisory lock takes no transaction id, so the
 * insert is still the transaction's first write.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER FUNCTION append_to_stream${SIGNATURE} RENAME TO append_to_stream_unlocked`.execute(db);
  await sql`
    CREATE FUNCTION append_to_stream(
      p_stream text, p_expected_kind text, p_expected_revision bigint,
      p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[])
    RETURNS TABLE (outcome text, last_revision bigint, commit_position xid8, prepare_position bigint)
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(${sql.lit(STREAM_LOCK_CLASS)}, hashtext(p_stream));
      RETURN QUERY SELECT * FROM append_to_stream_unlocked(p_stream, p_expected_kind, p_expected_revision, p_ids, p_types, p_data, p_metadata);
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION append_to_stream${SIGNATURE}`.execute(db);
  await sql`ALTER FUNCTION append_to_stream_unlocked${SIGNATURE} RENAME TO append_to_stream`.execute(db);
}
