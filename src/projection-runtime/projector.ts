import { Transaction } from 'kysely';
import { RecordedEvent } from '../event-store/event-store.port';
import { Database } from '../database/schema';

/**
 * A read-model projector (one file per read model in projections/).
 * Rules: apply() only writes the tables it lists; it is idempotent (rows keep the revision
 * they reflect, so a replayed event is skipped); it never throws on a recorded event (an
 * unknown or malformed event is ignored, not fatal); it reads no clock — every value comes
 * from the event, so a rebuild gives the same rows (replay determinism). Table names stay
 * unqualified: verification replays into a scratch schema through search_path.
 */
export interface Projector {
  readonly name: string;
  readonly tables: readonly (keyof Database)[];
  apply(trx: Transaction<Database>, event: RecordedEvent): Promise<void>;
}
