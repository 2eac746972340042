import { randomBytes } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import { EventStore, Position } from '../event-store/event-store.port';
import { Database } from '../database/schema';
import { readCheckpoint, samePosition } from './checkpoint';
import { Projector } from './projector';
import { readModelTables, replay } from './replay';

export interface TableDifference {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  /** Rows in the live table that the rebuild did not produce. */
  onlyLive: number;
  /** Rows the rebuild produced that the live table lacks. */
  onlyRebuilt: number;
  samples: { side: 'live' | 'rebuilt'; row: unknown }[];
}

export interface VerifyReport {
  ok: boolean;
  checkpoint: Position | null;
  eventsReplayed: number;
  tables: TableDifference[];
}

const MAX_ROUNDS = 20;
const SAMPLES_PER_SIDE = 3;

/**
 * Rebuilds every read model into a scratch schema up to the live checkpoint and compares
 * the two row by row. The live runner may move on meanwhile: the scratch copy then catches
 * up to the new checkpoint, and the comparison runs in one snapshot that reads the checkpoint too.
 */
export async function verifyProjections(
  db: Kysely<Database>,
  store: EventStore,
  projectors: readonly Projector[],
  options: { checkpointName: string; batchSize: number; onProgress?: (events: number) => void },
): Promise<VerifyReport> {
  const scratch = `verify_${randomBytes(6).toString('hex')}`;
  const tables = readModelTables(projectors);
  const live = (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0].schema;
  await sql`CREATE SCHEMA ${sql.id(scratch)}`.execute(db);
  try {
    for (const t of tables) {
      await sql`CREATE TABLE ${sql.id(scratch, t)} (LIKE ${sql.id(live, t)} INCLUDING ALL)`.execute(db);
    }
    let replayed: Position | null = null;
    let events = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const target = await readCheckpoint(db, options.checkpointName);
      const step = await replay(db, store, projectors, {
        from: replayed,
        until: target,
        batchSize: options.batchSize,
        searchPath: scratch,
        onProgress: (n) => options.onProgress?.(events + n),
      });
      replayed = step.position;
      events += step.events;
      const report = await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const now = await readCheckpoint(trx, options.checkpointName);
          if (!samePosition(now, target)) return null; // the live runner moved: catch up and retry
          const diffs: TableDifference[] = [];
          for (const t of tables) diffs.push(await compareTable(trx, live, scratch, t));
          return { checkpoint: now, tables: diffs };
        });
      if (report) {
        const ok = report.tables.every((d) => d.onlyLive === 0 && d.onlyRebuilt === 0);
        return { ok, checkpoint: report.checkpoint, eventsReplayed: events, tables: report.tables };
      }
    }
    throw new Error(`live projections kept moving; could not take a stable comparison in ${MAX_ROUNDS} rounds`);
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(scratch)} CASCADE`.execute(db);
  }
}

async function compareTable(db: Kysely<Database>, liveSchema: string, scratch: string, table: string): Promise<TableDifference> {
  const liveT = sql.id(liveSchema, table);
  const rebuiltT = sql.id(scratch, table);
  const count = async (q: ReturnType<typeof sql>) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM (${q}) d`.execute(db)).rows[0].n);
  const onlyLiveQ = sql`SELECT * FROM ${liveT} EXCEPT ALL SELECT * FROM ${rebuiltT}`;
  const onlyRebuiltQ = sql`SELECT * FROM ${rebuiltT} EXCEPT ALL SELECT * FROM ${liveT}`;
  const sample = async (q: ReturnType<typeof sql>) =>
    (await sql<{ row: unknown }>`SELECT to_jsonb(d) AS row FROM (${q}) d LIMIT ${SAMPLES_PER_SIDE}`.execute(db)).rows.map((r) => r.row);
  const [liveRows, rebuiltRows, onlyLive, onlyRebuilt] = await Promise.all([
    count(sql`SELECT * FROM ${liveT}`),
    count(sql`SELECT * FROM ${rebuiltT}`),
    count(onlyLiveQ),
    count(onlyRebuiltQ),
  ]);
  const samples = [
    ...(onlyLive ? (await sample(onlyLiveQ)).map((row) => ({ side: 'live' as const, row })) : []),
    ...(onlyRebuilt ? (await sample(onlyRebuiltQ)).map((row) => ({ side: 'rebuilt' as const, row })) : []),
  ];
  return { table, liveRows, rebuiltRows, onlyLive, onlyRebuilt, samples };
}
