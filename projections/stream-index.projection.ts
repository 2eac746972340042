import { sql } from 'kysely';
import { Projector } from '../src/projection-runtime/projector';

/**
 * Every stream with its category, revision, size and last activity: support's and tooling's map
 * of the store. One statement per batch; the row keeps the revision it reflects, so events at or
 * below it (a replay) are left out and change nothing. The current revision is looked up per
 * event through the primary key (a correlated subquery): a join let the planner hash the whole
 * table for every batch, a cost that grew with the number of streams.
 */
export const streamIndexProjection: Projector = {
  name: 'stream-index',
  tables: ['stream_index'],
  async apply(trx, events) {
    await sql`
      INSERT INTO stream_index AS s (stream, category, revision, event_count, first_event_at, last_event_at, last_event_type)
      SELECT b.stream, split_part(b.stream, '-', 1), max(b.revision), count(*), min(b.created_at), max(b.created_at),
             (array_agg(b.event_type ORDER BY b.revision DESC))[1]
        FROM unnest(${events.map((e) => e.stream)}::text[], ${events.map((e) => e.revision.toString())}::bigint[],
                    ${events.map((e) => e.type)}::text[], ${events.map((e) => e.createdAt.toISOString())}::timestamptz[])
             AS b(stream, revision, event_type, created_at)
       WHERE b.revision > coalesce((SELECT cur.revision FROM stream_index cur WHERE cur.stream = b.stream), -1)
       GROUP BY b.stream
      ON CONFLICT (stream) DO UPDATE SET
        revision = excluded.revision,
        event_count = s.event_count + excluded.event_count,
        last_event_at = excluded.last_event_at,
        last_event_type = excluded.last_event_type`.execute(trx);
  },
};
