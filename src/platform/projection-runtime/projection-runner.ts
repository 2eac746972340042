import { Kysely } from 'kysely';
import { Pool, PoolClient } from 'pg';
import { comparePositions, EventStore, Position } from '../event-store/event-store.port';
import { Database } from '../database/schema';
import { Logger } from '../observability/logger';
import { applyBatch, CheckpointMovedError } from './apply-batch';
import { batches } from './batches';
import { ensureCheckpoint, READ_MODELS_CHECKPOINT, readCheckpoint, samePosition } from './checkpoint';
import { tryLeaderLock } from './leader-lock';
import { Projector } from './projector';

export interface ProjectionRunnerOptions {
  batchMax: number;
  checkpointName?: string;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How often a standby instance tries to become the runner. */
  leaderRetryMs?: number;
  /** While idle, how often to check that no rebuild has reset the checkpoint. */
  checkpointCheckMs?: number;
  /** Test hook: runs inside each batch transaction just before commit. */
  beforeCommit?: () => Promise<void>;
}

export interface ProjectionRunnerStatus {
  state: 'stopped' | 'standby' | 'running' | 'retrying';
  caughtUp: boolean;
  checkpoint: Position | null;
  eventsApplied: number;
  lastEventAt: Date | null;
  lastError: string | null;
  retries: number;
}

/**
 * One $all subscription from the stored checkpoint, applied to every projector in batches,
 * each batch and its checkpoint in one transaction. Resumes after a restart, retries with
 * exponential backoff while the store or the database is unavailable, restarts from the
 * stored checkpoint when a rebuild resets it.
 */
export class ProjectionRunner {
  private readonly checkpointName: string;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeSleep: (() => void) | null = null;
  private leader: PoolClient | null = null;
  private closeSubscription: (() => Promise<void>) | null = null;
  private current: ProjectionRunnerStatus = {
    state: 'stopped',
    caughtUp: false,
    checkpoint: null,
    eventsApplied: 0,
    lastEventAt: null,
    lastError: null,
    retries: 0,
  };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly projectors: readonly Projector[],
    private readonly logger: Logger,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.checkpointName = options.checkpointName ?? READ_MODELS_CHECKPOINT;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleep?.();
    await this.closeSubscription?.();
    await this.loop;
    this.loop = null;
    this.releaseLeadership();
    this.current.state = 'stopped';
  }

  status(): ProjectionRunnerStatus {
    return { ...this.current };
  }

  /** How far behind the head of $all the read models are, for /metrics and readiness. */
  async lag(): Promise<{ behind: boolean; seconds: number }> {
    const since = this.current.lastEventAt?.getTime() ?? Date.now();
    const behindFor = { behind: true, seconds: Math.max(0, (Date.now() - since) / 1000) };
    try {
      const [head, checkpoint] = await Promise.all([this.store.headPosition(), readCheckpoint(this.db, this.checkpointName)]);
      const behind = head !== null && (checkpoint === null || comparePositions(head, checkpoint) > 0);
      return behind ? behindFor : { behind, seconds: 0 };
    } catch {
      return behindFor; // cannot see the head: not known to be caught up
    }
  }

  /** Resolves once the checkpoint has reached the head of $all as it was when called. */
  async waitUntilCaughtUp(timeoutMs = 10_000): Promise<void> {
    const head = await this.store.headPosition();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await readCheckpoint(this.db, this.checkpointName);
      if (head === null || (checkpoint !== null && comparePositions(checkpoint, head) >= 0)) return;
      if (Date.now() > deadline) throw new Error(`projections did not catch up within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async run(): Promise<void> {
    const initialMs = this.options.retryInitialMs ?? 200;
    const maxMs = this.options.retryMaxMs ?? 30_000;
    let backoffMs = initialMs;
    while (!this.stopping) {
      try {
        if (!(await this.acquireLeadership())) {
          this.current.state = 'standby';
          await this.sleep(this.options.leaderRetryMs ?? 5_000);
          continue;
        }
        await this.follow(() => (backoffMs = initialMs));
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof CheckpointMovedError) {
          this.logger.info({ checkpoint: describe(err.stored) }, 'projection checkpoint moved; resubscribing from it');
          continue;
        }
        this.releaseLeadership();
        this.current = { ...this.current, state: 'retrying', lastError: (err as Error).message, retries: this.current.retries + 1 };
        this.logger.warn({ err: { message: (err as Error).message, name: (err as Error).name }, retryInMs: backoffMs }, 'projection runner failed; retrying');
        await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, maxMs);
      }
    }
  }

  private async follow(onProgress: () => void): Promise<void> {
    await ensureCheckpoint(this.db, this.checkpointName);
    let position = await readCheckpoint(this.db, this.checkpointName);
    const subscription = this.store.subscribeAll({ after: position ?? undefined });
    this.closeSubscription = () => subscription.close();
    this.current = { ...this.current, state: 'running', checkpoint: position, caughtUp: false };
    this.logger.info({ checkpoint: describe(position) }, 'projection runner subscribed');
    let moved: CheckpointMovedError | null = null;
    // A rebuild resets the checkpoint while this runner may be idle: notice it without waiting for an event.
    const watch = setInterval(() => {
      readCheckpoint(this.db, this.checkpointName).then(
        (stored) => {
          if (!moved && !samePosition(stored, position)) {
            moved = new CheckpointMovedError(stored);
            void subscription.close();
          }
        },
        () => undefined,
      );
    }, this.options.checkpointCheckMs ?? 1_000);
    try {
      for await (const batch of batches(subscription, this.options.batchMax)) {
        if (this.stopping) return;
        await applyBatch(this.db, this.projectors, batch, {
          checkpoint: { name: this.checkpointName, expected: position },
          beforeCommit: this.options.beforeCommit,
        });
        const last = batch[batch.length - 1];
        position = last.position;
        this.current = {
          ...this.current,
          checkpoint: position,
          eventsApplied: this.current.eventsApplied + batch.length,
          lastEventAt: last.createdAt,
          caughtUp: subscription.caughtUp,
          lastError: null,
        };
        onProgress();
      }
      if (moved) throw moved;
    } finally {
      clearInterval(watch);
      this.closeSubscription = null;
      await subscription.close();
    }
  }

  /** Only one instance applies events; the others stand by until the leader's connection goes away. */
  private async acquireLeadership(): Promise<boolean> {
    if (this.leader) return true;
    const client = await tryLeaderLock(this.pool);
    if (!client) return false;
    client.on('error', () => this.releaseLeadership());
    this.leader = client;
    return true;
  }

  private releaseLeadership(): void {
    this.leader?.release(true);
    this.leader = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(p: Position | null): string {
  return p ? `${p.commit}/${p.prepare}` : 'start';
}
