import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Database } from '../database/schema';
import { AllSubscription, EventFilter, EventStore, RecordedEvent } from '../event-store/event-store.port';
import { Logger } from '../observability/logger';
import { writeCheckpoint } from './checkpoint';
import { checkpointOrHead, ReactorLoop } from './reactor-loop';

export interface CheckpointedReactorOptions {
  db: Kysely<Database>;
  store: EventStore;
  pool: Pool;
  logger: Logger;
  /** The advisory lock that makes it one process at a time. */
  lockKey: string;
  /** Its row in projection_checkpoints; a deployment's first start begins at the head of $all. */
  checkpoint: string;
  filter: EventFilter;
  /** The checkpoint is written at most this often (0: after every event), and once more at the end. */
  checkpointEveryMs: number;
  /** Runs each time this process starts leading, before the subscription (e.g. to load what it keeps in memory). */
  prepare?: () => Promise<void>;
  handle: (event: RecordedEvent) => Promise<void>;
}

/**
 * A reactor that follows $all from its own checkpoint, one process at a time (ReactorLoop: the
 * lock, retries with backoff): the mail reactors' shared shape. `handle` must be safe to run again
 * for an event after a crash before the checkpoint moved.
 */
export class CheckpointedReactor {
  private readonly loop: ReactorLoop;
  private subscription: AllSubscription | null = null;

  constructor(private readonly options: CheckpointedReactorOptions) {
    this.loop = new ReactorLoop(options.pool, options.lockKey, options.logger, () => this.follow());
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop(async () => this.subscription?.close());
  }

  private async follow(): Promise<void> {
    const { db, store, checkpoint, checkpointEveryMs } = this.options;
    const after = await checkpointOrHead(db, store, checkpoint);
    await this.options.prepare?.();
    this.subscription = store.subscribeAll({ after: after ?? undefined, filter: this.options.filter });
    let passed: RecordedEvent['position'] | null = null;
    let saved = true;
    let savedAt = Date.now();
    try {
      for await (const event of this.subscription) {
        await this.options.handle(event);
        passed = event.position;
        saved = false;
        if (Date.now() - savedAt >= checkpointEveryMs) {
          await writeCheckpoint(db, checkpoint, passed);
          saved = true;
          savedAt = Date.now();
        }
        if (this.loop.stopping) break;
      }
    } finally {
      await this.subscription?.close();
      this.subscription = null;
      if (passed && !saved) await writeCheckpoint(db, checkpoint, passed);
    }
  }
}
