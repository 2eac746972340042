import { Kysely, sql } from 'kysely';
import { comparePositions, EventStore, Position } from '../event-store/event-store.port';
import { Database } from '../database/schema';
import { applyBatch } from './apply-batch';
import { ensureCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint';
import { Projector } from './projector';

/**
 * Events per page (and per transaction) for rebuilds and verification. 5,000 costs ≈ 10% less
 * CPU per event than 1,000 (fewer statements to plan, fewer commits); see docs/benchmarks.md, "Rebuild".
 */
export const REPLAY_BATCH_SIZE = 5_000;

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

/**
 * Replays $all through the projectors page by page, each page in one transaction. The next page
 * is read while the current one is applied (another connection), so reading and writing overlap.
 */
export async function replay(
  db: Kysely<Database>,
  store: EventStore,
  projectors: readonly Projector[],
  options: ReplayOptions,
): Promise<{ events: number; position: Position | null }> {
  let position = options.from;
  let events = 0;
  if (options.until === null) return { events, position };
  const until = options.until;
  const read = (after: Position | null) => {
    const page = store.readAll({ after: after ?? undefined, maxCount: options.batchSize });
    page.catch(() => undefined); // awaited below; a failed apply must not leave it unhandled
    return page;
  };
  let next = read(position);
  for (;;) {
    let page = await next;
    const full = page.length === options.batchSize;
    if (until) page = page.filter((e) => comparePositions(e.position, until) <= 0);
    if (page.length === 0) return { events, position };
    const last = page[page.length - 1].position;
    const more = full && !(until && comparePositions(last, until) >= 0);
    if (more) next = read(last);
    await applyBatch(db, projectors, page, {
      checkpoint: options.checkpointName ? { name: options.checkpointName, expected: position } : undefined,
      searchPath: options.searchPath,
    });
    position = last;
    events += page.length;
    options.onProgress?.(events, position);
    if (!more) return { events, position };
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
