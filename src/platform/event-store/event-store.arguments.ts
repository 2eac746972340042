import { randomUUID } from 'node:crypto';
import { EventStoreArgumentError } from './event-store.errors';
import { MultiAppendItem, NewEvent } from './event-store.port';
import { DEFAULT_READ_COUNT, MAX_EVENTS_PER_APPEND, MAX_READ_COUNT } from '../store-limits';

const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks shared by both adapters, so they reject the same inputs with the same error. */
export function checkAppend(stream: string, events: NewEvent[]): void {
  checkStreamName(stream);
  if (events.length === 0) throw new EventStoreArgumentError('append needs at least one event');
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new EventStoreArgumentError(`append takes at most ${MAX_EVENTS_PER_APPEND} events, got ${events.length}`);
  }
  const ids = new Set<string>();
  for (const e of events) checkEvent(e, ids);
}

/** appendToStreams: the same limits as append, over the whole call (ids distinct across all items). */
export function checkMultiAppend(items: readonly MultiAppendItem[]): void {
  if (items.length === 0) throw new EventStoreArgumentError('appendToStreams needs at least one item');
  if (items.length > MAX_EVENTS_PER_APPEND) {
    throw new EventStoreArgumentError(`appendToStreams takes at most ${MAX_EVENTS_PER_APPEND} items, got ${items.length}`);
  }
  const ids = new Set<string>();
  for (const item of items) {
    checkStreamName(item.stream);
    checkEvent(item.event, ids);
  }
}

function checkEvent(e: NewEvent, ids: Set<string>): void {
  if (!UUID.test(e.id)) throw new EventStoreArgumentError(`event id must be a UUID, got ${JSON.stringify(e.id)}`);
  if (ids.has(e.id.toLowerCase())) throw new EventStoreArgumentError(`event id ${e.id} appears twice in one append`);
  ids.add(e.id.toLowerCase());
  if (!e.type || e.type.startsWith('$')) throw new EventStoreArgumentError(`invalid event type ${JSON.stringify(e.type)}`);
}

export function checkStreamName(stream: string): void {
  if (!STREAM_NAME.test(stream)) throw new EventStoreArgumentError(`invalid stream name ${JSON.stringify(stream)}`);
}

export function checkTruncation(stream: string, before: bigint): void {
  checkStreamName(stream);
  if (typeof before !== 'bigint' || before < 0n) throw new EventStoreArgumentError(`truncateStreamBefore needs a revision >= 0, got ${String(before)}`);
}

export function readCount(maxCount: number | undefined): number {
  const count = maxCount ?? DEFAULT_READ_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_READ_COUNT) {
    throw new EventStoreArgumentError(`maxCount must be an integer in 1..${MAX_READ_COUNT}, got ${count}`);
  }
  return count;
}

export function newEventId(): string {
  return randomUUID();
}
