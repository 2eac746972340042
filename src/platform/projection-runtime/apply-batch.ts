import { Kysely, sql } from 'kysely';
import { Position, RecordedEvent } from '../event-store/event-store.port';
import { Database } from '../database/schema';
import { readCheckpoint, samePosition, writeCheckpoint } from './checkpoint';
import { Projector } from './projector';

/** The stored checkpoint is not where this runner left it: a rebuild reset it, or another runner moved it. */
export class CheckpointMovedError extends Error {
  constructor(readonly stored: Position | null) {
    super('projection checkpoint moved underneath this runner');
    this.name = 'CheckpointMovedError';
  }
}

export interface ApplyBatchOptions {
  /** Advance this checkpoint in the same transaction, after checking it is still at `expected`. */
  checkpoint?: { name: string; expected: Position | null };
  /** Replay into another schema (projections:verify) without touching live tables. */
  searchPath?: string;
  /** Test hook: runs after the rows are written and before the commit. */
  beforeCommit?: () => Promise<void>;
}

/**
 * Applies events to every projector and advances the checkpoint in ONE transaction:
 * either the rows and the checkpoint both move, or neither does — exactly-once effect.
 */
export async function applyBatch(db: Kysely<Database>, projectors: readonly Projector[], events: readonly RecordedEvent[], options: ApplyBatchOptions = {}): Promise<void> {
  if (events.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const { checkpoint } = options;
    if (checkpoint) {
      const stored = await readCheckpoint(trx, checkpoint.name, true);
      if (!samePosition(stored, checkpoint.expected)) throw new CheckpointMovedError(stored);
    }
    if (options.searchPath) await sql`SELECT set_config('search_path', ${options.searchPath}, true)`.execute(trx);
    for (const projector of projectors) await projector.apply(trx, events);
    if (checkpoint) await writeCheckpoint(trx, checkpoint.name, events[events.length - 1].position);
    await options.beforeCommit?.();
  });
}
