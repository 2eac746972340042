/**
 * The event store port. Two adapters (EventStoreDB, PostgreSQL) give the same guarantees,
 * proven by one contract suite (test/event-store/contract.ts).
 */

/** JSON-serialisable event payload. Money travels as decimal strings, never numbers. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  actorId?: string;
  /** ISO-8601; the time the business fact happened (commands carry time in, deciders never read clocks). */
  occurredAt?: string;
  [key: string]: JsonValue | undefined;
}

/** An event about to be appended. `id` is a UUID and makes the append idempotent. */
export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  id: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

/**
 * A position in the global ($all) order, compared as the pair (commit, prepare).
 * EventStoreDB: its transaction-log commit/prepare positions.
 * PostgreSQL: (transaction id, global sequence) — ordering by the transaction id first is
 * what lets a reader stop below the oldest in-flight transaction and never skip a late commit.
 */
export interface Position {
  commit: bigint;
  prepare: bigint;
}

export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  stream: string;
  /** 0-based revision of the event in its stream. */
  revision: bigint;
  position: Position;
  createdAt: Date;
}

/**
 * Optimistic concurrency is explicit on every append:
 * a revision (the last event's revision the caller saw), 'no_stream', 'stream_exists' or 'any'.
 */
export type ExpectedRevision = bigint | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextExpectedRevision: bigint;
  position: Position;
}

/** One item of appendToStreams: an event for a stream, appended with expected revision 'any'. */
export interface MultiAppendItem {
  stream: string;
  event: NewEvent;
}

/**
 * The outcome of one item of appendToStreams.
 * - appended: written by this call.
 * - idempotent: the same event id was already in this stream; position and revision are that event's.
 * - stored: in the stream at this position, but the adapter cannot tell whether this call wrote it
 *   (EventStoreDB answers a repeat like a write).
 * A failed item carries its error (DuplicateEventIdError: the id is in another stream;
 * EventStoreUnavailableError on adapters without one transaction for the whole call).
 */
export type MultiAppendResult = { ok: true; outcome: 'appended' | 'idempotent' | 'stored'; revision: bigint; position: Position } | { ok: false; error: Error };

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: Direction;
  /** Inclusive revision to start from; defaults to the start (forwards) or the end (backwards). */
  fromRevision?: bigint;
  /** At most this many events; required to be 1..MAX_READ_COUNT. */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omitted: from the start. */
  after?: Position;
  maxCount?: number;
  filter?: EventFilter;
}

/** Server-side filter, as EventStoreDB offers it: by stream-name prefix or by event-type prefix. */
export type EventFilter = { kind: 'streamPrefix'; prefixes: string[] } | { kind: 'eventTypePrefix'; prefixes: string[] };

export interface SubscribeAllOptions {
  /** Exclusive: deliver events strictly after this position. Omitted: from the start. */
  after?: Position;
  filter?: EventFilter;
}

/**
 * A catch-up subscription to $all: the backlog, then live events, in $all order.
 * `caughtUp` becomes true once the backlog has been delivered. Always `close()` it:
 * breaking out of `for await` ends iteration but the adapter still owns resources.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  readonly caughtUp: boolean;
  close(): Promise<void>;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /**
   * Group commit: one event per item, to any streams, each with expected revision 'any' and in
   * the items' order within each stream; idempotent by event id like append. Returns one result
   * per item, in the items' order; one item's failure (an id already in another stream) does not
   * fail the others. At most MAX_EVENTS_PER_APPEND items, event ids distinct within the call.
   * PostgreSQL writes the whole call in one transaction (all or nothing, one round trip);
   * EventStoreDB has no multi-stream transaction, so there each item is its own append.
   */
  appendToStreams(items: readonly MultiAppendItem[]): Promise<MultiAppendResult[]>;
  /** Throws StreamNotFoundError when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Retention: events of `stream` with a revision below `before` are removed from stream reads
   * for good. The stream's later events, its revision and its next append are unchanged.
   * `before` is at most the last revision: the last event always stays, so a stream never
   * becomes empty and its revisions never restart. Idempotent; a lower `before` than an earlier
   * truncation changes nothing. PostgreSQL deletes the rows (they leave $all too); EventStoreDB
   * sets the stream's truncate-before ($tb) metadata, and the events stay in $all until the
   * server's next scavenge — read models must therefore come out the same with or without them.
   * Throws StreamNotFoundError for a stream with no events, EventStoreArgumentError for a bad `before`.
   */
  truncateStreamBefore(stream: string, before: bigint): Promise<void>;
  subscribeAll(options?: SubscribeAllOptions): AllSubscription;
  /** The position of the last event in $all (null when empty); used for lag and verification. */
  headPosition(): Promise<Position | null>;
  /** Cheap reachability check for /health/ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EventStore');

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function matchesFilter(filter: EventFilter | undefined, event: { stream: string; type: string }): boolean {
  if (!filter) return true;
  const subject = filter.kind === 'streamPrefix' ? event.stream : event.type;
  return filter.prefixes.some((p) => subject.startsWith(p));
}
