import { Kysely, sql } from 'kysely';

/**
 * Group commit: append_to_streams writes one event per item, to any streams, with expected
 * revision 'any', in one call and one transaction.
 *
 * Same rule as append_to_stream (0001): it must be the first write of its transaction, and the
 * transaction id must be taken after the revision reads saw every earlier commit to those
 * streams, or $all could order a stream's revisions backwards.
 *
 * Concurrent batches over the same (hot) streams would otherwise keep losing races to each
 * other: it first takes a transaction-level advisory lock per distinct stream, in key order (no
 * deadlocks between batches), then — in a new statement, so with a snapshot that sees every
 * commit it waited for — looks up the ids, reads the streams' current revisions and inserts.
 * Advisory locks take no transaction id, so this is still the transaction's first write. The
 * locks use the two-key form (class STREAM_LOCK_CLASS, hashtext(stream)), a key space apart from
 * the single-key locks the app takes elsewhere; a hash collision only serialises two streams.
 * A single-stream append_to_stream takes no lock, so a race with it is still possible: the loser
 * gets a unique violation and the caller re-runs the call.
 *
 * Rows are inserted in the items' order, so within the batch positions follow the items; the
 * whole batch shares one transaction id, so it is contiguous in $all.
 *
 * The items come as one jsonb array of {stream, id, type, data, metadata}: one parse in
 * PostgreSQL, where five parallel arrays cost node-postgres more to encode than the insert costs.
 *
 * Result: one row per item, by event id: appended, idempotent (the id is already in that
 * stream: that event's revision and position) or duplicate (the id is in another stream).
 */
/** 'TG' 0001: the advisory-lock class of event-store streams. */
export const STREAM_LOCK_CLASS = 0x54470001;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION append_to_streams(p_items jsonb)
    RETURNS TABLE (event_id uuid, outcome text, revision bigint, commit_position xid8, prepare_position bigint)
    LANGUAGE plpgsql AS $$
    BEGIN
      IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'append_to_streams must be the first write of its transaction';
      END IF;
      PERFORM pg_advisory_xact_lock(${sql.lit(STREAM_LOCK_CLASS)}, k.key)
        FROM (SELECT DISTINCT hashtext(x.item->>'stream') AS key FROM jsonb_array_elements(p_items) AS x(item) ORDER BY 1) AS k;
      -- No joins between the batch's own rows: a cached plan estimates them at a handful of
      -- rows and would pick nested loops, quadratic in the batch size. Results carry the event
      -- id; the caller maps them back to its items.
      RETURN QUERY
        WITH items AS (
          SELECT u.ord, u.stream, u.id, u.type, u.data, u.metadata,
                 e.stream AS found_stream, e.revision AS found_revision,
                 e.transaction_id AS found_commit, e.global_position AS found_prepare
            FROM ROWS FROM (jsonb_to_recordset(p_items) AS (stream text, id uuid, type text, data jsonb, metadata jsonb))
                 WITH ORDINALITY AS u(stream, id, type, data, metadata, ord)
            LEFT JOIN events e ON e.event_id = u.id
        ), inserted AS (
          INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
          SELECT i.stream,
                 coalesce((SELECT e.revision FROM events e WHERE e.stream = i.stream ORDER BY e.revision DESC LIMIT 1), -1)
                   + row_number() OVER (PARTITION BY i.stream ORDER BY i.ord),
                 i.id, i.type, i.data, i.metadata
            FROM items i WHERE i.found_stream IS NULL
          ORDER BY i.ord
          RETURNING events.event_id, 'appended'::text, events.revision, events.transaction_id, events.global_position
        )
        SELECT * FROM inserted
        UNION ALL
        SELECT i.id,
               CASE WHEN i.found_stream = i.stream THEN 'idempotent' ELSE 'duplicate' END,
               CASE WHEN i.found_stream = i.stream THEN i.found_revision END,
               CASE WHEN i.found_stream = i.stream THEN i.found_commit END,
               CASE WHEN i.found_stream = i.stream THEN i.found_prepare END
          FROM items i WHERE i.found_stream IS NOT NULL;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION append_to_streams`.execute(db);
}
