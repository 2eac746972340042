import { sql } from 'kysely';
import { RecordedEvent } from '../src/event-store/event-store.port';
import { Projector } from '../src/projection-runtime/projector';

/**
 * Events that replace everything before them in their stream (retention removes what they
 * replace): the row then counts from them, so live and rebuilt-after-removal rows agree.
 */
const RESETTING_TYPES = new Set(['UsageDaySummarized']);

/**
 * Every stream with its category, revision, size and last activity: support's and tooling's map
 * of the store. One statement per batch; the row keeps the revision it reflects, so events at or
 * below it (a replay) are left out and change nothing.
 */
export const streamIndexProjection: Projector = {
  name: 'stream-index',
  tables: ['stream_index'],
  async apply(trx, events) {
    // A resetting event in the batch: only it and what follows it in its stream count.
    const resetAt = new Map<string, RecordedEvent>();
    for (const e of events) if (RESETTING_TYPES.has(e.type)) resetAt.set(e.stream, e);
    if (resetAt.size > 0) {
      const resets = [...resetAt.values()];
      await sql`
        UPDATE stream_index s SET event_count = 0, first_event_at = r.created_at
          FROM unnest(${resets.map((e) => e.stream)}::text[], ${resets.map((e) => e.revision.toString())}::bigint[], ${resets.map((e) => e.createdAt.toISOString())}::timestamptz[])
               AS r(stream, revision, created_at)
         WHERE s.stream = r.stream AND s.revision < r.revision`.execute(trx);
      events = events.filter((e) => {
        const reset = resetAt.get(e.stream);
        return !reset || e.revision >= reset.revision;
      });
    }
    await sql`
      INSERT INTO stream_index AS s (stream, category, revision, event_count, first_event_at, last_event_at, last_event_type)
      SELECT b.stream, split_part(b.stream, '-', 1), max(b.revision), count(*), min(b.created_at), max(b.created_at),
             (array_agg(b.event_type ORDER BY b.revision DESC))[1]
        FROM unnest(${events.map((e) => e.stream)}::text[], ${events.map((e) => e.revision.toString())}::bigint[],
                    ${events.map((e) => e.type)}::text[], ${events.map((e) => e.createdAt.toISOString())}::timestamptz[])
             AS b(stream, revision, event_type, created_at)
        LEFT JOIN stream_index cur ON cur.stream = b.stream
       WHERE cur.revision IS NULL OR b.revision > cur.revision
       GROUP BY b.stream
      ON CONFLICT (stream) DO UPDATE SET
        revision = excluded.revision,
        event_count = s.event_count + excluded.event_count,
        last_event_at = excluded.last_event_at,
        last_event_type = excluded.last_event_type`.execute(trx);
  },
};
