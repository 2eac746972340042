import { sql } from 'kysely';
import { RecordedEvent } from '../event-store/event-store.port';
import { Projector } from './projector';

/**
 * Events written just before retention removes the events ahead of them: they say from which
 * revision (and store time) the stream is kept, and the row then counts from there, so live
 * rows and rows rebuilt after the removal agree. Revisions from there on are contiguous.
 */
function keptFrom(e: RecordedEvent): { revision: bigint; createdAt: Date } | null {
  if (e.type === 'UsageDaySummarized') return { revision: e.revision, createdAt: e.createdAt };
  if (e.type !== 'SignInRecordsRemoved') return null;
  const revision = typeof e.data.keptFromRevision === 'string' && /^\d{1,19}$/.test(e.data.keptFromRevision) ? BigInt(e.data.keptFromRevision) : null;
  const at = typeof e.data.keptFromCreatedAt === 'string' ? new Date(e.data.keptFromCreatedAt) : null;
  return revision !== null && revision <= e.revision && at && !Number.isNaN(at.getTime()) ? { revision, createdAt: at } : { revision: e.revision, createdAt: e.createdAt };
}

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
    const resets = new Map<string, { event: RecordedEvent; revision: bigint; createdAt: Date }>();
    for (const e of events) {
      const kept = keptFrom(e);
      if (kept) resets.set(e.stream, { event: e, ...kept });
    }
    // Resets the row already reflects (a replay) change nothing.
    const known = resets.size
      ? await trx
          .selectFrom('stream_index')
          .select(['stream', 'revision'])
          .where('stream', 'in', [...resets.keys()])
          .execute()
      : [];
    const skipped = known.filter((k) => BigInt(k.revision) >= (resets.get(k.stream) as { event: RecordedEvent }).event.revision).map((k) => k.stream);
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
    if (resets.size === 0) return;
    // After the batch: a row that took a reset in it (a replayed one is at or below the old revision) counts from the kept revision.
    const r = [...resets.values()];
    await sql`
      UPDATE stream_index s SET event_count = s.revision - r.kept_revision + 1, first_event_at = r.kept_at
        FROM unnest(${r.map((x) => x.event.stream)}::text[], ${r.map((x) => x.event.revision.toString())}::bigint[], ${r.map((x) => x.revision.toString())}::bigint[],
                    ${r.map((x) => x.createdAt.toISOString())}::timestamptz[]) AS r(stream, revision, kept_revision, kept_at)
       WHERE s.stream = r.stream AND s.revision >= r.revision AND NOT (r.stream = ANY(${skipped}::text[]))`.execute(trx);
  },
};
