import { Kysely, Transaction } from 'kysely';
import { Position } from '../event-store/event-store.port';
import { Database } from '../database/schema';

/** All read models share one $all subscription, hence one checkpoint. */
export const READ_MODELS_CHECKPOINT = 'read-models';

type Db = Kysely<Database> | Transaction<Database>;

export async function ensureCheckpoint(db: Db, name: string): Promise<void> {
  await db
    .insertInto('projection_checkpoints')
    .values({ name, commit_position: null, prepare_position: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function readCheckpoint(db: Db, name: string, forUpdate = false): Promise<Position | null> {
  let query = db.selectFrom('projection_checkpoints').select(['commit_position', 'prepare_position']).where('name', '=', name);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row || row.commit_position === null || row.prepare_position === null) return null;
  return { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
}

export async function writeCheckpoint(db: Db, name: string, position: Position | null): Promise<void> {
  await db
    .updateTable('projection_checkpoints')
    .set({
      commit_position: position ? position.commit.toString() : null,
      prepare_position: position ? position.prepare.toString() : null,
      updated_at: new Date(),
    })
    .where('name', '=', name)
    .execute();
}

export function samePosition(a: Position | null, b: Position | null): boolean {
  if (a === null || b === null) return a === b;
  return a.commit === b.commit && a.prepare === b.prepare;
}
