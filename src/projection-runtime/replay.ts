import { Kysely, sql } from 'kysely';
import { comparePositions, EventStore, Position } from '../event-store/event-store.port';
import { Database } from '../database/schema';
import { applyBatch } from './apply-batch';
import { ensureCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint';
import { Projector } from './projector';

export interface ReplayOptions {
  /** Exclusive start; null = from the start of $all. */
  from: Position | null;
  /** Inclusive end; omitted = the head of $all when the replay reaches it. */
  until?: Position | null;
  batchSize: number;
  /** Advance (and check) this checkpoint with every batch. */
  checkpointName?: string;
  searchPath?: string;
  onProgress?: (eventsReplayed: number, position: Position) => void;
}

/** Replays $all through the projectors page by page, each page in one transaction. */
export async function replay(
  db: Kysely<Database>,
  store: EventStore,
  projectors: readonly Projector[],
  options: ReplayOptions,
): Promise<{ events: number; position: Position | null }> {
  let position = options.from;
  let events = 0;
  if (options.until === null) return { events, position };
  for (;;) {
    let page = await store.readAll({ after: position ?? undefined, maxCount: options.batchSize });
    const full = page.length === options.batchSize;
    const until = options.until;
    if (until) page = page.filter((e) => comparePositions(e.position, until) <= 0);
    if (page.length === 0) return { events, position };
    await applyBatch(db, projectors, page, {
      checkpoint: options.checkpointName ? { name: options.checkpointName, expected: position } : undefined,
      searchPath: options.searchPath,
    });
    position = page[page.length - 1].position;
    events += page.length;
    options.onProgress?.(events, position);
    if (!full || (until && comparePositions(position, until) >= 0)) return { events, position };
  }
}

export function readModelTables(projectors: readonly Projector[]): (keyof Database)[] {
  return [...new Set(projectors.flatMap((p) => p.tables))];
}

/** Empties every read model and resets the checkpoint in one transaction (waits for a running batch). */
export async function resetReadModels(db: Kysely<Database>, projectors: readonly Projector[], checkpointName: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await ensureCheckpoint(trx, checkpointName);
    await readCheckpoint(trx, checkpointName, true);
    const tables = readModelTables(projectors);
    if (tables.length > 0) await sql`TRUNCATE ${sql.join(tables.map((t) => sql.table(t)))}`.execute(trx);
    await writeCheckpoint(trx, checkpointName, null);
  });
}
