import { invalid, unavailable } from '../platform/errors/domain-error';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EventStore, MultiAppendItem, MultiAppendResult, Position } from '../platform/event-store/event-store.port';
import { MAX_EVENTS_PER_APPEND } from '../platform/store-limits';
import { RecordUsage, usageChargeDecider } from './usage-charge.decide';
import { usageEventId, usageStream } from './usage.events';

export interface UsageBatcherOptions {
  /** Most charges in one batch: one appendToStreams call (1..MAX_EVENTS_PER_APPEND). */
  maxBatch: number;
  /** Most charges waiting for a batch; past it record() refuses at once. */
  maxQueue: number;
}

export interface RecordedUsage {
  /** Where the charge event is stored; settle needs it. */
  position: Position;
  costMicroUsd: bigint;
}

/** One written (or failed) batch, for metrics and tests. */
export interface UsageBatchReport {
  events: number;
  durationMs: number;
  failed: boolean;
}

export interface UsageBatcherStats {
  batches: number;
  failedBatches: number;
  /** Charges whose batch was written (including repeats of an already stored charge). */
  recorded: number;
  /** record() calls refused because the queue was full. */
  refused: number;
  waiting: number;
}

/**
 * What jsonb cannot hold (NUL, unpaired UTF-16 surrogates). One such charge would fail its
 * whole batch on PostgreSQL, so it is refused alone, before it joins one.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what PostgreSQL's jsonb refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertStorable(command: RecordUsage, context: CommandContext): void {
  const texts = [command.accountId, command.keyId, command.model, command.nodeId, command.providerId, ...Object.values(context)];
  if (texts.some((t) => typeof t === 'string' && UNSTORABLE.test(t))) {
    throw invalid('invalid_usage', 'Usage text fields must not contain NUL characters or unpaired surrogates.');
  }
}

/**
 * The charge as an item of a group commit: decided (the same event recordUsage stores), its id
 * from the request id, its stream the account's day. Throws what the decider refuses.
 */
export function usageChargeItem(command: RecordUsage, context: CommandContext): MultiAppendItem {
  const [decided] = usageChargeDecider.decide(command, usageChargeDecider.initialState());
  assertStorable(command, context);
  return { stream: usageStream(command.accountId, command.at), event: { id: usageEventId(command.requestId), type: decided.type, data: decided.data, metadata: { ...context } } };
}

/** A charge and what goes with it: far below MAX_EVENTS_PER_APPEND, so any charge fits a batch. */
const MAX_WITH_CHARGE = 8;

interface Waiter {
  /** The charge first, then events stored with it (its node's discrepancies). */
  items: MultiAppendItem[];
  costMicroUsd: bigint;
  resolve(recorded: RecordedUsage): void;
  reject(error: unknown): void;
}

/**
 * Group commit of UsageRecorded charges. Same meaning as recordUsage (decide, event id from the
 * request id, `usage-{accountId}-{day}` with 'any'), but the charges of concurrent requests are
 * stored together: one appendToStreams call per batch — on PostgreSQL one transaction and one
 * WAL flush — so a charge costs microseconds of the batch instead of a round trip of its own.
 *
 * One batch in flight at a time: charges arriving while it is written wait for the next one,
 * which starts as soon as it ends. Idle, a charge is written at the end of the current event-loop
 * turn (no timer), so a lone request pays one round trip. A failed batch rejects every waiter in
 * it (on PostgreSQL nothing of it was stored; the caller releases its hold); an item the store
 * refuses (an id already used in another stream) rejects only its own waiter.
 */
export class UsageBatcher {
  private queue: Waiter[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private stopped = false;
  private readonly counts = { batches: 0, failedBatches: 0, recorded: 0, refused: 0 };
  private readonly listeners: ((report: UsageBatchReport) => void)[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly options: UsageBatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1 || options.maxBatch > MAX_EVENTS_PER_APPEND) {
      throw new Error(`maxBatch must be an integer in 1..${MAX_EVENTS_PER_APPEND}`);
    }
    if (!Number.isInteger(options.maxQueue) || options.maxQueue < 1) throw new Error('maxQueue must be a positive integer');
  }

  /**
   * Resolves once the charge is durably stored (or was already): its position and cost. `alongside`:
   * events to store in the same call (other streams, ids derived from the request so a repeat is
   * a no-op); their own failures do not fail the charge.
   */
  record(command: RecordUsage, context: CommandContext, alongside: readonly MultiAppendItem[] = []): Promise<RecordedUsage> {
    if (this.stopped) return Promise.reject(unavailable('metering_stopped', 'This instance is shutting down; retry on another.'));
    if (this.queue.length >= this.options.maxQueue) {
      this.counts.refused++;
      return Promise.reject(unavailable('metering_overloaded', 'Too many charges are waiting to be recorded; retry shortly.'));
    }
    if (alongside.length >= MAX_WITH_CHARGE) return Promise.reject(new Error(`at most ${MAX_WITH_CHARGE - 1} events may go with a charge`));
    let item: MultiAppendItem;
    try {
      item = usageChargeItem(command, context);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<RecordedUsage>((resolve, reject) => {
      this.queue.push({ items: [item, ...alongside], costMicroUsd: command.costMicroUsd, resolve, reject });
      this.schedule();
    });
  }

  /** Called after every batch (metrics, tests). */
  onBatch(listener: (report: UsageBatchReport) => void): void {
    this.listeners.push(listener);
  }

  stats(): UsageBatcherStats {
    return { ...this.counts, waiting: this.queue.length };
  }

  /** Writes everything waiting, and waits for the batch in flight. Charges may still arrive after. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.queue.length > 0) this.start();
      else return;
    }
  }

  /** Flushes, then refuses new charges (503 metering_stopped). */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    await this.flush(); // anything that slipped in while the last batch was written
  }

  /** A batch starts at the end of this event-loop turn, so charges arriving together share it. */
  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running && this.queue.length > 0) this.start();
    });
  }

  private start(): void {
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.write(this.take());
  }

  /**
   * The next batch, oldest first: at most maxBatch charges and MAX_EVENTS_PER_APPEND events. Event
   * ids must be distinct within one call, so a second charge for a request id already in the
   * batch waits for the next one (where it is a repeat).
   */
  private take(): Waiter[] {
    const batch: Waiter[] = [];
    const ids = new Set<string>();
    const deferred: Waiter[] = [];
    let events = 0;
    let i = 0;
    for (; i < this.queue.length && batch.length < this.options.maxBatch; i++) {
      const waiter = this.queue[i];
      if (events + waiter.items.length > MAX_EVENTS_PER_APPEND) break;
      if (waiter.items.some((it) => ids.has(it.event.id))) deferred.push(waiter);
      else {
        for (const it of waiter.items) ids.add(it.event.id);
        events += waiter.items.length;
        batch.push(waiter);
      }
    }
    this.queue = deferred.length > 0 ? deferred.concat(this.queue.slice(i)) : this.queue.slice(i);
    return batch;
  }

  private async write(batch: Waiter[]): Promise<void> {
    const started = performance.now();
    let results: MultiAppendResult[];
    const items = batch.flatMap((w) => w.items);
    try {
      results = await this.store.appendToStreams(items);
    } catch (err) {
      this.counts.batches++;
      this.counts.failedBatches++;
      for (const waiter of batch) waiter.reject(err);
      this.report({ events: items.length, durationMs: performance.now() - started, failed: true });
      return;
    }
    this.counts.batches++;
    let at = 0;
    for (const waiter of batch) {
      const result = results[at];
      at += waiter.items.length;
      if (result?.ok) {
        this.counts.recorded++;
        waiter.resolve({ position: result.position, costMicroUsd: waiter.costMicroUsd });
      } else waiter.reject(result ? result.error : new Error('the event store returned no result for this charge'));
    }
    this.report({ events: items.length, durationMs: performance.now() - started, failed: false });
  }

  private report(report: UsageBatchReport): void {
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch {
        // a listener's bug must not stall metering
      }
    }
  }
}
