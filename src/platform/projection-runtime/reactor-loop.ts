import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { Pool, PoolClient } from 'pg';
import { Database } from '../database/schema';
import { EventStore, Position } from '../event-store/event-store.port';
import { Logger } from '../observability/logger';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import { tryLeaderLock } from './leader-lock';

export interface ReactorLoopOptions {
  leaderRetryMs: number;
  retryMaxMs: number;
}

/**
 * A worker that follows $all, one process at a time: `follow` runs while this process holds the
 * advisory lock `lockKey`; a failure is retried with exponential backoff (capped), after the lock
 * was given back, so another process may take over meanwhile.
 */
export class ReactorLoop {
  private stopRequested = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly lockKey: string,
    private readonly logger: Logger,
    private readonly follow: () => Promise<void>,
    private readonly options: ReactorLoopOptions = { leaderRetryMs: 2_000, retryMaxMs: 10_000 },
  ) {}

  get stopping(): boolean {
    return this.stopRequested;
  }

  start(): void {
    this.stopRequested = false;
    this.loop ??= this.run();
  }

  /** `interrupt` ends the current `follow` (closes its subscription). */
  async stop(interrupt: () => Promise<void>): Promise<void> {
    this.stopRequested = true;
    await interrupt();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopRequested) {
      let lock: PoolClient | null = null;
      try {
        lock = await tryLeaderLock(this.pool, this.lockKey);
        if (!lock) {
          await sleep(this.options.leaderRetryMs);
          continue;
        }
        await this.follow();
        failures = 0;
      } catch (err) {
        failures++;
        const delay = Math.min(this.options.retryMaxMs, 100 * 2 ** Math.min(failures, 10));
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'failed; retrying');
        await sleep(delay);
      } finally {
        lock?.release(true); // destroying the connection releases the advisory lock
      }
    }
  }
}

/**
 * Where a reactor resumes: its checkpoint, or, on a deployment's first start, the head of $all
 * (written as its checkpoint), so history is not acted on.
 */
export async function checkpointOrHead(db: Kysely<Database>, store: EventStore, name: string): Promise<Position | null> {
  const inserted = await db
    .insertInto('projection_checkpoints')
    .values({ name, commit_position: null, prepare_position: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  if (!inserted) return readCheckpoint(db, name);
  const head = await store.headPosition();
  await writeCheckpoint(db, name, head);
  return head;
}
