import { Kysely, sql } from 'kysely';

/**
 * The PostgreSQL event store.
 * $all order is (transaction_id, global_position): a reader only reads rows whose transaction id
 * is below the oldest in-flight transaction, so an event committed late by a slow transaction
 * can never land behind a checkpoint (the sequence-gap problem; Emmett and Marten do the same).
 * append_to_stream does the idempotency check, the expected-revision check and the insert in
 * one round trip; unique constraints settle races between concurrent appends.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE events (
      global_position bigint GENERATED ALWAYS AS IDENTITY,
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream text NOT NULL,
      revision bigint NOT NULL CHECK (revision >= 0),
      event_id uuid NOT NULL,
      event_type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT events_pkey PRIMARY KEY (global_position),
      CONSTRAINT events_stream_revision_key UNIQUE (stream, revision),
      CONSTRAINT events_event_id_key UNIQUE (event_id)
    )`.execute(db);
  await sql`CREATE INDEX events_all_order_idx ON events (transaction_id, global_position)`.execute(db);

  await sql`
    CREATE FUNCTION append_to_stream(
      p_stream text, p_expected_kind text, p_expected_revision bigint,
      p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[])
    RETURNS TABLE (outcome text, last_revision bigint, commit_position xid8, prepare_position bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      v_found int;
      v_in_stream int;
      v_current bigint;
    BEGIN
      -- $all is ordered by transaction id, so the id must be taken by this insert, after the
      -- revision checks below saw every earlier commit to the stream.
      IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'append_to_stream must be the first write of its transaction';
      END IF;
      -- Idempotency: the same event ids already in this stream mean this append already happened.
      SELECT count(*), count(*) FILTER (WHERE e.stream = p_stream)
        INTO v_found, v_in_stream FROM events e WHERE e.event_id = ANY(p_ids);
      IF v_found > 0 THEN
        IF v_found = cardinality(p_ids) AND v_in_stream = v_found THEN
          RETURN QUERY SELECT 'idempotent'::text, e.revision, e.transaction_id, e.global_position
            FROM events e WHERE e.event_id = ANY(p_ids) ORDER BY e.revision DESC LIMIT 1;
        ELSE
          RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::xid8, NULL::bigint;
        END IF;
        RETURN;
      END IF;

      SELECT e.revision INTO v_current FROM events e WHERE e.stream = p_stream ORDER BY e.revision DESC LIMIT 1;
      v_current := coalesce(v_current, -1);
      IF (p_expected_kind = 'revision' AND v_current <> p_expected_revision)
         OR (p_expected_kind = 'no_stream' AND v_current <> -1)
         OR (p_expected_kind = 'stream_exists' AND v_current = -1) THEN
        RETURN QUERY SELECT 'conflict'::text, v_current, NULL::xid8, NULL::bigint;
        RETURN;
      END IF;

      RETURN QUERY
        INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
        SELECT p_stream, v_current + u.ord, u.id, u.type, u.data, u.metadata
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, metadata, ord)
        ORDER BY u.ord
        RETURNING 'appended'::text, events.revision, events.transaction_id, events.global_position;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION append_to_stream`.execute(db);
  await sql`DROP TABLE events`.execute(db);
}
