/**
 * Writes generated history straight into the PostgreSQL event store's `events` table, in the
 * adapter's own row format: stream, revision, event id, type, data, metadata, created_at; the
 * table assigns global_position (identity) and transaction_id (pg_current_xact_id()) as it does
 * for append_to_stream(s). Each chunk is one statement and one transaction — like one large
 * group commit — with rows inserted in the chunk's order, so $all order (transaction id, then
 * position) is the generation order and every stream's revisions rise with it.
 *
 * One jsonb parameter per chunk: node-postgres encodes a single JSON text far faster than
 * parallel arrays (see migration 0007). Chunks go one at a time (a second chunk in flight could
 * take a smaller transaction id than the one before it); the next chunk is generated while
 * PostgreSQL inserts the current one.
 */
import { Pool } from 'pg';
import { HistoryEvent } from './history.generator';

const INSERT = `
  INSERT INTO events (stream, revision, event_id, event_type, data, metadata, created_at)
  SELECT r.stream, r.revision, r.id, r.type, r.data, r.metadata, r.created_at
    FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (stream text, revision bigint, id uuid, type text, data jsonb, metadata jsonb, created_at timestamptz))
         WITH ORDINALITY AS r(stream, revision, id, type, data, metadata, created_at, ord)
   ORDER BY r.ord`;

export async function writeChunk(pool: Pool, events: readonly HistoryEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ stream: e.stream, revision: e.revision, id: e.id, type: e.type, data: e.data, metadata: e.metadata, created_at: e.createdAt.toISOString() }));
  await pool.query({ name: 'history_insert', text: INSERT, values: [JSON.stringify(rows)] });
}

/**
 * Drains `chunks` into the store, overlapping generation of chunk k+1 with the insert of chunk k.
 * `onChunk` sees every chunk after it is written (tests tally expectations from it).
 */
export async function writeHistory(pool: Pool, chunks: AsyncIterable<HistoryEvent[]>, onChunk?: (events: readonly HistoryEvent[]) => void): Promise<{ events: number }> {
  let events = 0;
  let inFlight: Promise<void> | null = null;
  for await (const chunk of chunks) {
    if (inFlight) await inFlight;
    inFlight = writeChunk(pool, chunk).then(() => onChunk?.(chunk));
    events += chunk.length;
    // Let the query reach the socket before generation (synchronous work) resumes.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (inFlight) await inFlight;
  // Fresh statistics, as autovacuum would have them on a store that grew over weeks: without
  // them the planner may read $all pages by a sequential scan.
  await pool.query('ANALYZE events');
  return { events };
}
