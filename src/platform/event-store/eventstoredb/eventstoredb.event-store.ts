/**
 * The event store on EventStoreDB, through @eventstore/db-client v6 (the only file that may
 * import the client). Its guarantees come from the server: optimistic concurrency, idempotency
 * by event id (same ids at the same expected revision give the same result), one $all order.
 */
import {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  ANY,
  AppendExpectedRevision,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  eventTypeFilter,
  excludeSystemEvents,
  Filter,
  FORWARDS,
  InvalidArgumentError,
  jsonEvent,
  NO_STREAM,
  NotLeaderError,
  ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError as EsdbStreamNotFoundError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Readable } from 'node:stream';
import { checkAppend, checkMultiAppend, checkStreamName, checkTruncation, readCount } from '../event-store.arguments';
import { EventStoreArgumentError, EventStoreUnavailableError, StreamNotFoundError, StreamVersionConflictError } from '../event-store.errors';
import {
  AllSubscription,
  AppendResult,
  comparePositions,
  EventFilter,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
  matchesFilter,
  MultiAppendItem,
  MultiAppendResult,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../event-store.port';

export interface EventStoreDbOptions {
  /** Events per page once readAll has to scan past events it skips (filter, system events). */
  readAllPageSize?: number;
  /**
   * The v6 client cannot filter readAll on the server, so readAll filters client-side; this caps
   * the events one call may scan. Hitting it before the page is full is an error, not a short
   * page, because callers take a short page to mean "end of $all".
   */
  readAllMaxScannedEvents?: number;
  /** ping() fails after this long even if the server never answers. */
  pingTimeoutMs?: number;
}

/** appendToStreams: streams written at once (each stream's items go one after another). */
const MULTI_APPEND_STREAMS_IN_FLIGHT = 32;

const DEFAULTS: Required<EventStoreDbOptions> = {
  readAllPageSize: 1_000,
  readAllMaxScannedEvents: 100_000,
  pingTimeoutMs: 2_000,
};

/** An empty lookahead fails everywhere, in .NET (the server) as in JavaScript. */
const NEVER_MATCHES = '(?!)';

// gRPC status codes, by number: @grpc/grpc-js is not a runtime dependency of src/.
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_ABORTED = 10;
const GRPC_UNAVAILABLE = 14;
const UNAVAILABLE_CODES = new Set<number | string>([
  GRPC_CANCELLED,
  GRPC_DEADLINE_EXCEEDED,
  GRPC_ABORTED,
  GRPC_UNAVAILABLE,
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export class EventStoreDbEventStore implements EventStore {
  private readonly options: Required<EventStoreDbOptions>;
  private readonly subscriptions = new Set<EventStoreDbAllSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** e.g. `esdb://localhost:2113?tls=false`. */
  static fromConnectionString(connectionString: string, options?: EventStoreDbOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    checkAppend(stream, events);
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
        { expectedRevision: toEsdbExpectedRevision(expectedRevision) },
      );
      const position = result.position ?? (await this.positionOf(stream, result.nextExpectedRevision));
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (err) {
      throw translateError(err, { stream, expectedRevision });
    }
  }

  /**
   * EventStoreDB has no transaction across streams: atomicity is per item here, not per call.
   * Streams are written concurrently; a stream's items one append each, in order. Not one
   * append per stream: with 'any' the server checks idempotency on an append's first event
   * only, so a group mixing a repeat with new events would write the repeat again (or fail).
   * After an item fails, that stream's later items are not attempted (they keep their order)
   * and carry the same error. The server cannot say whether an append was a repeat ('stored'),
   * and it keeps event ids unique per stream only, so an id already in another stream is
   * written again rather than refused (as with append).
   */
  async appendToStreams(items: readonly MultiAppendItem[]): Promise<MultiAppendResult[]> {
    checkMultiAppend(items);
    const byStream = new Map<string, number[]>();
    items.forEach((item, index) => {
      const indexes = byStream.get(item.stream);
      if (indexes) indexes.push(index);
      else byStream.set(item.stream, [index]);
    });
    const results: MultiAppendResult[] = new Array(items.length);
    const streams = [...byStream.values()];
    const writeStream = async (indexes: number[]) => {
      let failure: Error | undefined;
      for (const index of indexes) {
        if (failure) {
          results[index] = { ok: false, error: failure };
          continue;
        }
        try {
          const { nextExpectedRevision, position } = await this.append(items[index].stream, [items[index].event], 'any');
          results[index] = { ok: true, outcome: 'stored', revision: nextExpectedRevision, position };
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
          results[index] = { ok: false, error: failure };
        }
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(MULTI_APPEND_STREAMS_IN_FLIGHT, streams.length) }, async () => {
        while (next < streams.length) await writeStream(streams[next++]);
      }),
    );
    return results;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    checkStreamName(stream);
    const maxCount = readCount(options.maxCount);
    const backwards = options.direction === 'backwards';
    try {
      const resolved = await collect(
        this.client.readStream(stream, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: options.fromRevision ?? (backwards ? END : START),
          maxCount,
        }),
      );
      return mapEvents(resolved);
    } catch (err) {
      throw translateError(err, { stream });
    }
  }

  /**
   * Sets the stream's truncate-before ($tb) metadata, keeping any other metadata; never lowers it.
   * The server hides the events from stream reads at once and drops them at its next scavenge.
   */
  async truncateStreamBefore(stream: string, before: bigint): Promise<void> {
    checkTruncation(stream, before);
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (before > last.revision) throw new EventStoreArgumentError(`truncateStreamBefore(${stream}, ${before}): the last event (${last.revision}) always stays`);
    const metastream = `$$${stream}`;
    try {
      // The client's getStreamMetadata reports a commit position as the metastream's revision, so read it here.
      let raw: Record<string, unknown> = {};
      let revision: bigint | typeof NO_STREAM = NO_STREAM;
      try {
        const [latest] = await collect(this.client.readStream(metastream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
        if (latest?.event) {
          revision = latest.event.revision;
          if (latest.event.isJson && isPlainObject(latest.event.data)) raw = latest.event.data;
        }
      } catch (err) {
        if (!(err instanceof EsdbStreamNotFoundError)) throw err;
      }
      const current = raw.$tb;
      if (typeof current === 'number' && BigInt(current) >= before) return;
      // A concurrent metadata write makes this append fail rather than be lost; the caller's retry re-reads.
      await this.client.appendToStream(metastream, jsonEvent({ type: '$metadata', data: { ...raw, $tb: Number(before) } }), { expectedRevision: revision });
    } catch (err) {
      throw translateError(err, { stream: metastream });
    }
  }

  /**
   * Pages through $all forwards and filters here. ESDB reads $all forwards from a position
   * inclusively, so every page restarts at the last position seen and drops what is not after it.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = readCount(options.maxCount);
    const { filter } = options;
    const out: RecordedEvent[] = [];
    let lastSeen = options.after;
    let scanned = 0;
    // Unfiltered, the first page is exact (+1 for the inclusive start); later pages only happen
    // when system events were skipped, and use the larger page size.
    let pageSize = Math.max(maxCount + 1, filter ? this.options.readAllPageSize : 0);
    try {
      for (;;) {
        const page = await collect(this.client.readAll({ direction: FORWARDS, fromPosition: lastSeen ?? START, maxCount: pageSize }));
        scanned += page.length;
        for (const resolved of page) {
          const position = resolved.event?.position;
          if (!position || (lastSeen && comparePositions(position, lastSeen) <= 0)) continue;
          lastSeen = position;
          const event = toRecordedEvent(resolved);
          if (event && matchesFilter(filter, event)) out.push(event);
          if (out.length === maxCount) return out;
        }
        if (page.length < pageSize) return out;
        if (scanned >= this.options.readAllMaxScannedEvents) {
          throw new EventStoreArgumentError(
            `readAll scanned ${scanned} events of $all and found only ${out.length} of ${maxCount} matching; ` +
              'a filter this sparse needs subscribeAll, which filters on the server',
          );
        }
        pageSize = Math.max(pageSize, this.options.readAllPageSize);
      }
    } catch (err) {
      throw translateError(err, {});
    }
  }

  subscribeAll(options: SubscribeAllOptions = {}): AllSubscription {
    const source = this.client.subscribeToAll({
      // ESDB subscriptions start strictly after the given position, as the port asks.
      fromPosition: options.after ?? START,
      filter: toEsdbFilter(options.filter),
    });
    const subscription = new EventStoreDbAllSubscription(source, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position | null> {
    try {
      const [last] = await collect(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
      return last?.event?.position ? copyPosition(last.event.position) : null;
    } catch (err) {
      throw translateError(err, {});
    }
  }

  /** The client ignores deadlines on reads, so the timeout is ours: a hung server must fail too. */
  async ping(): Promise<void> {
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Cancel the call itself too: destroying our end alone would leave it pending in the client.
        read.cancel().catch(() => undefined);
        read.destroy();
        reject(new EventStoreUnavailableError(`EventStoreDB did not answer a ping within ${this.options.pingTimeoutMs} ms`));
      }, this.options.pingTimeoutMs);
    });
    try {
      await Promise.race([collect(read), timeout]);
    } catch (err) {
      throw translateError(err, {});
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Some server versions answer an idempotent append without a position: look it up. */
  private async positionOf(stream: string, revision: bigint): Promise<Position> {
    const [event] = await this.readStream(stream, { direction: 'backwards', fromRevision: revision, maxCount: 1 });
    if (!event) throw new Error(`EventStoreDB returned no position for ${stream}@${revision} and the event cannot be read`);
    return event.position;
  }
}

/** Buffers one subscription's events so that `caughtUp` can be exact and iteration shareable. */
class EventStoreDbAllSubscription implements AllSubscription {
  private readonly queue: AllStreamResolvedEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  /** Raw events taken off the client stream, and handed on (or skipped) by next(). */
  private received = 0;
  private consumed = 0;
  /** `received` count at which the backlog ends, once the server said caught_up. */
  private backlogEndsAt: number | undefined;
  private failure: Error | undefined;
  private closed = false;

  private static readonly HIGH_WATER_MARK = 1_000;
  private static readonly LOW_WATER_MARK = 100;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly onClose: () => void,
  ) {
    source.on('data', (resolved: AllStreamResolvedEvent) => {
      this.received++;
      this.queue.push(resolved);
      if (this.queue.length >= EventStoreDbAllSubscription.HIGH_WATER_MARK) source.pause();
      this.wake();
    });
    // Events before caught_up are either already received or still in the stream's buffer.
    source.on('caughtUp', () => {
      this.backlogEndsAt = this.received + source.readableLength;
    });
    source.on('error', (err: unknown) => {
      this.failure ??= translateError(err, {}) as Error;
      this.wake();
    });
    // A catch-up subscription never ends by itself: an end we did not ask for is an outage.
    source.on('end', () => {
      this.failure ??= new EventStoreUnavailableError('EventStoreDB ended the subscription');
      this.wake();
    });
  }

  get caughtUp(): boolean {
    return this.backlogEndsAt !== undefined && this.consumed >= this.backlogEndsAt;
  }

  /** Every iterator reads the same subscription: a second `for await` continues where one stopped. */
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let returned = false;
    return {
      next: () => (returned ? Promise.resolve(done()) : this.next()),
      // Leaving a loop ends that iterator only; close() releases the subscription.
      return: async () => {
        returned = true;
        return done();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.onClose();
    try {
      await this.source.unsubscribe();
    } finally {
      this.source.destroy();
    }
  }

  private async next(): Promise<IteratorResult<RecordedEvent>> {
    for (;;) {
      if (this.closed) return done();
      const resolved = this.queue.shift();
      if (resolved) {
        this.consumed++;
        if (this.queue.length <= EventStoreDbAllSubscription.LOW_WATER_MARK && this.source.isPaused()) this.source.resume();
        const event = toRecordedEvent(resolved);
        if (event) return { done: false, value: event };
        continue;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

function done(): IteratorResult<RecordedEvent> {
  return { done: true, value: undefined };
}

async function collect<T>(read: Readable & AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of read) out.push(item);
  return out;
}

function mapEvents(resolved: (ResolvedEvent | AllStreamResolvedEvent)[]): RecordedEvent[] {
  return resolved.map(toRecordedEvent).filter((e): e is RecordedEvent => e !== null);
}

/**
 * Null for what is not ours to deliver: links without their event, system events (`$` types)
 * and non-JSON events (this port carries JSON objects only).
 */
function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const e = resolved.event;
  if (!e || e.type.startsWith('$') || !e.isJson || !isPlainObject(e.data)) return null;
  // Stream reads carry positions only from server 22.6 on.
  if (!e.position) throw new Error(`EventStoreDB sent ${e.streamId}@${e.revision} without a position (server older than 22.6?)`);
  return {
    id: e.id,
    type: e.type,
    data: e.data as JsonObject,
    metadata: isPlainObject(e.metadata) ? (e.metadata as EventMetadata) : {},
    stream: e.streamId,
    revision: e.revision,
    position: copyPosition(e.position),
    // The client already turned `created` (100-ns ticks since the Unix epoch) into a Date.
    createdAt: e.created,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function copyPosition(p: { commit: bigint; prepare: bigint }): Position {
  return { commit: p.commit, prepare: p.prepare };
}

function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

function toEsdbFilter(filter: EventFilter | undefined): Filter {
  if (!filter) return excludeSystemEvents();
  // The server reads an empty prefix list as "no prefixes, use the regex" (match all);
  // matchesFilter reads it as "match nothing". A regex that never matches keeps them equal.
  const byKind = filter.kind === 'streamPrefix' ? streamNameFilter : eventTypeFilter;
  return filter.prefixes.length > 0 ? byKind({ prefixes: filter.prefixes }) : byKind({ regex: NEVER_MATCHES });
}

interface ErrorContext {
  stream?: string;
  expectedRevision?: ExpectedRevision;
}

function translateError(err: unknown, context: ErrorContext): unknown {
  if (err instanceof WrongExpectedVersionError) {
    const expected = context.expectedRevision ?? err.expectedVersion;
    return new StreamVersionConflictError(context.stream ?? err.streamName, String(expected), String(err.actualVersion));
  }
  if (err instanceof EsdbStreamNotFoundError) return new StreamNotFoundError(context.stream ?? err.streamName);
  if (err instanceof InvalidArgumentError) return new EventStoreArgumentError(err.message);
  if (isUnavailable(err)) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

/**
 * Outages and timeouts, whether the client wrapped them or not (its feature probe rethrows raw
 * gRPC errors). A commit timeout leaves the outcome unknown, which a retry resolves safely
 * because appends are idempotent by event id. Cancellations we asked for never reach here.
 */
function isUnavailable(err: unknown): boolean {
  if (err instanceof UnavailableError || err instanceof DeadlineExceededError || err instanceof TimeoutError || err instanceof CancelledError || err instanceof NotLeaderError) {
    return true;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'number' || typeof code === 'string') && UNAVAILABLE_CODES.has(code);
}
