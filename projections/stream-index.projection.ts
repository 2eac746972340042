import { sql } from 'kysely';
import { Projector } from '../src/projection-runtime/projector';

/** Every stream with its category, revision, size and last activity: support's and tooling's map of the store. */
export const streamIndexProjection: Projector = {
  name: 'stream-index',
  tables: ['stream_index'],
  async apply(trx, event) {
    const dash = event.stream.indexOf('-');
    const category = dash > 0 ? event.stream.slice(0, dash) : event.stream;
    await trx
      .insertInto('stream_index')
      .values({
        stream: event.stream,
        category,
        revision: event.revision.toString(),
        event_count: '1',
        first_event_at: event.createdAt,
        last_event_at: event.createdAt,
        last_event_type: event.type,
      })
      .onConflict((oc) =>
        oc
          .column('stream')
          .doUpdateSet({
            revision: (eb) => eb.ref('excluded.revision'),
            event_count: sql`stream_index.event_count + 1`,
            last_event_at: (eb) => eb.ref('excluded.last_event_at'),
            last_event_type: (eb) => eb.ref('excluded.last_event_type'),
          })
          // The row remembers the revision it reflects: an event seen before changes nothing.
          .where('stream_index.revision', '<', (eb) => eb.ref('excluded.revision')),
      )
      .execute();
  },
};
