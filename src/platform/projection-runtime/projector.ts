import { Transaction } from 'kysely';
import { RecordedEvent } from '../event-store/event-store.port';
import { Database } from '../database/schema';

/**
 * A read-model projector (one file per read model in projections/). It gets a batch of events
 * in $all order, so it can write a whole batch in one statement (per-event queries cap a
 * rebuild at a few thousand events per second).
 * Rules: apply() only writes the tables it lists; it is idempotent (rows keep the revision
 * they reflect, so a replayed event is skipped); it never throws on a recorded event (an
 * unknown or malformed event is ignored, not fatal); it reads no clock — every value comes
 * from the event, so a rebuild gives the same rows (replay determinism). Table names stay
 * unqualified: verification replays into a scratch schema through search_path.
 */
export interface Projector {
  readonly name: string;
  readonly tables: readonly (keyof Database)[];
  apply(trx: Transaction<Database>, events: readonly RecordedEvent[]): Promise<void>;
}
