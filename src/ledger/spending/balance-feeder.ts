import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Database } from '../../platform/database/schema';
import { AllSubscription, comparePositions, EventStore, Position, RecordedEvent } from '../../platform/event-store/event-store.port';
import { Logger } from '../../platform/observability/logger';
import { READ_MODELS_CHECKPOINT, readCheckpoint } from '../../platform/projection-runtime/checkpoint';
import { ReactorLoop } from '../../platform/projection-runtime/reactor-loop';
import { CREDITS_STREAM_PREFIX } from '../credits.events';
import { parseLedgerAccount } from '../ledger-accounts';
import { readPostings } from '../postings';
import { CreditHolds } from './credit-holds';
import { positionKey } from './position-key';
import { UsageMoneyEvents } from './usage-money-events';

const LOCK_KEY = 'tollgate.credits-feeder';

export interface FeederOptions {
  /** How often the feeder re-asserts its position (Redis may have been emptied). */
  heartbeatMs: number;
  leaderRetryMs: number;
  retryMaxMs: number;
}

/**
 * Brings every stored money event into the Redis balances, once: an account's cached balance
 * records the position it includes, so a repeat or an older event changes nothing. One feeder
 * runs at a time (an advisory lock); it runs in worker processes next to the projections.
 */
export class BalanceFeeder {
  private readonly loop: ReactorLoop;
  private subscription: AllSubscription | null = null;
  private passed: Position | null = null;
  private waiters: { position: Position; resolve: () => void }[] = [];
  /** Every event that moves a developer's credits is in one of these streams. */
  private readonly moneyStreams: string[];
  /** From the last applied event's storage to its application (ms): the feeder's lag, as a metric. */
  lastLagMs = 0;

  constructor(
    private readonly store: EventStore,
    private readonly holds: CreditHolds,
    /** The usage charges' streams and day summary (USAGE_MONEY_EVENTS, provided by metering/). */
    private readonly usage: UsageMoneyEvents,
    private readonly db: Kysely<Database>,
    pool: Pool,
    logger: Logger,
    private readonly options: FeederOptions = { heartbeatMs: 250, leaderRetryMs: 2_000, retryMaxMs: 10_000 },
  ) {
    this.moneyStreams = [CREDITS_STREAM_PREFIX, usage.streamPrefix];
    this.loop = new ReactorLoop(pool, LOCK_KEY, logger.child({ component: 'credits-feeder' }), () => this.follow(), options);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop(async () => this.subscription?.close());
  }

  /** Resolves once the feeder has passed `position` (tests and tools wait on it). */
  waitUntilPassed(position: Position): Promise<void> {
    if (this.passed && comparePositions(this.passed, position) >= 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position, resolve }));
  }

  private async follow(): Promise<void> {
    this.passed = await this.startPosition();
    const heartbeat = setInterval(() => void this.reassert(), this.options.heartbeatMs);
    try {
      this.subscription = this.store.subscribeAll({ after: this.passed ?? undefined, filter: { kind: 'streamPrefix', prefixes: this.moneyStreams } });
      for await (const event of this.subscription) {
        await this.apply(event);
        this.lastLagMs = Math.max(0, Date.now() - event.createdAt.getTime());
        this.passed = event.position;
        this.wake();
        if (this.loop.stopping) break;
      }
    } finally {
      clearInterval(heartbeat);
      await this.subscription?.close();
      this.subscription = null;
    }
  }

  /**
   * Resume where the feeder position says. Without one (Redis is empty), nothing is cached, so
   * the feeder may start from the read models' checkpoint: every later seed is at least as recent.
   */
  private async startPosition(): Promise<Position | null> {
    const stored = await this.holds.feederPosition();
    if (stored) return this.claimAt(parsePositionKey(stored));
    const checkpoint = await readCheckpoint(this.db, READ_MODELS_CHECKPOINT);
    const claimed = await this.holds.storeFeederPosition(positionKey(checkpoint));
    return claimed ? checkpoint : parsePositionKey((await this.holds.feederPosition()) as string);
  }

  /**
   * On a cluster a primary may have lost its keys (with its groups' position) while others kept
   * theirs: the groups without one get the position the feeder resumes from, so their seeds wait.
   */
  private async claimAt(position: Position | null): Promise<Position | null> {
    await this.holds.storeFeederPosition(positionKey(position));
    return position;
  }

  /** After Redis is emptied, seeds must wait until PostgreSQL includes what the feeder already passed. */
  private async reassert(): Promise<void> {
    await this.holds.storeFeederPosition(positionKey(this.passed)).catch(() => undefined);
  }

  private async apply(event: RecordedEvent): Promise<void> {
    // A usage day summary nets charges this feeder already applied one by one (it replaces them
    // only in the store and the read models), so it moves no cached balance.
    if (event.type === this.usage.daySummaryType) return;
    const holdId = typeof event.data.holdId === 'string' && event.data.holdId ? event.data.holdId : null;
    const deltas = new Map<string, bigint>();
    for (const posting of readPostings(event.data) ?? []) {
      const account = parseLedgerAccount(posting.account);
      // Credit-normal: a credit (negative posting) adds to the developer's balance.
      if (account?.kind === 'developer') deltas.set(account.ownerId as string, (deltas.get(account.ownerId as string) ?? 0n) - BigInt(posting.amountMicroUsd));
    }
    if (deltas.size === 0 && holdId && typeof event.data.accountId === 'string') deltas.set(event.data.accountId, 0n);
    const key = positionKey(event.position);
    for (const [accountId, delta] of deltas) await this.holds.apply(accountId, key, delta, holdId);
  }

  private wake(): void {
    if (!this.passed || this.waiters.length === 0) return;
    const passed = this.passed;
    this.waiters = this.waiters.filter((w) => (comparePositions(passed, w.position) >= 0 ? (w.resolve(), false) : true));
  }
}

function parsePositionKey(key: string): Position | null {
  const [commit, prepare] = key.split(':').map((part) => BigInt(part));
  return commit === 0n && prepare === 0n ? null : { commit, prepare };
}
