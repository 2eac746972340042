import { INestApplication } from '@nestjs/common';
import { Kysely } from 'kysely';
import { projectors } from '../../src/read-models';
import { Database } from '../../src/platform/database/schema';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { KYSELY } from '../../src/platform/database/database.module';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { RetentionSweep } from '../../src/privacy/retention/retention-sweep';

export const DAY_MS = 86_400_000;

export function services(app: INestApplication) {
  return { store: app.get<EventStore>(EVENT_STORE), db: app.get<Kysely<Database>>(KYSELY), sweep: app.get(RetentionSweep) };
}

/** The whole stream as stored now (truncated events are not returned). */
export async function readAll(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  return store.readStream(stream, { maxCount: 10_000 }).catch(() => []);
}

/** `projections:verify`: the live read models equal a rebuild from the events now stored. */
export async function verify(app: INestApplication) {
  const { db, store } = services(app);
  return verifyProjections(db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 500 });
}
