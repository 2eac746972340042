/**
 * Streams.Read: one RPC for stream reads, $all reads and catch-up subscriptions, as in
 * EventStoreDB. Positions: reading $all forwards from a position includes the event at it,
 * backwards excludes it, and a subscription starts strictly after it.
 */
import { randomUUID } from 'node:crypto';
import { ServerWritableStream, status } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { StandInLog, StoredEvent } from './standin-log';
import { EventPredicate, eventResp, filterPredicate, streamIdentifier, streamNameOf } from './standin-proto';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

export function readHandler(log: StandInLog) {
  return (call: ReadCall): void => {
    const options = call.request.getOptions();
    if (!options) return refuse(call, status.INVALID_ARGUMENT, 'read without options');
    const predicate = filterPredicate(options);
    if (options.hasSubscription()) return subscribe(log, call, options, predicate);
    const count = countOf(options.getCount());
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const events = options.hasStream()
      ? readStream(log, call, options.getStream() as ReadReq.Options.StreamOptions, backwards)
      : readAll(log, options.getAll() as ReadReq.Options.AllOptions, backwards);
    if (events === null) return;
    let sent = 0;
    // Writes are buffered by grpc-js; the stand-in holds little enough data to ignore backpressure.
    for (const event of events) {
      if (sent >= count) break;
      if (!predicate(event)) continue;
      call.write(eventResp(event));
      sent++;
    }
    call.end();
  };
}

/** Returns null when the reply (stream_not_found) has already been sent. */
function readStream(log: StandInLog, call: ReadCall, options: ReadReq.Options.StreamOptions, backwards: boolean): Iterable<StoredEvent> | null {
  const name = streamNameOf(options.getStreamIdentifier());
  const events = log.stream(name);
  if (!events || events.length === 0) {
    const notFound = new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name));
    call.write(new ReadResp().setStreamNotFound(notFound));
    call.end();
    return null;
  }
  const last = events.length - 1;
  // Truncate-before ($tb) hides the earlier events from stream reads, as the server does.
  const first = Math.min(truncateBefore(log, name), last);
  if (backwards) {
    const from = options.hasStart() ? first : options.hasEnd() ? last : clampIndex(options.getRevision(), last);
    return walk(events.slice(first), from - first, -1);
  }
  const from = options.hasEnd() ? events.length : options.hasRevision() ? clampIndex(options.getRevision(), events.length) : 0;
  return walk(events, Math.max(from, first), +1);
}

function readAll(log: StandInLog, options: ReadReq.Options.AllOptions, backwards: boolean): Iterable<StoredEvent> {
  const all = log.events;
  const position = options.getPosition();
  if (backwards) {
    const from = options.hasStart() ? -1 : position ? log.indexAtOrAfter(BigInt(position.getCommitPosition())) - 1 : all.length - 1;
    return walk(all, from, -1);
  }
  const from = options.hasEnd() ? all.length : position ? log.indexAtOrAfter(BigInt(position.getCommitPosition())) : 0;
  return walk(all, from, +1);
}

/**
 * Confirmation, backlog, caught_up, then live events. The backlog is replayed and the live
 * listener registered in the same synchronous turn, so no append can fall between them.
 */
function subscribe(log: StandInLog, call: ReadCall, options: ReadReq.Options, predicate: EventPredicate): void {
  const confirmation = new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
  call.write(new ReadResp().setConfirmation(confirmation));

  let wanted: EventPredicate;
  let backlog: Iterable<StoredEvent>;
  if (options.hasStream()) {
    const stream = options.getStream() as ReadReq.Options.StreamOptions;
    const name = streamNameOf(stream.getStreamIdentifier());
    const events = log.stream(name) ?? [];
    const afterRevision = stream.hasEnd() ? BigInt(events.length - 1) : stream.hasRevision() ? BigInt(stream.getRevision()) : -1n;
    wanted = (e) => e.stream === name && e.revision > afterRevision;
    backlog = events;
  } else {
    const all = options.getAll() as ReadReq.Options.AllOptions;
    const position = all.getPosition();
    const from = all.hasEnd() ? log.events.length : position ? log.indexAtOrAfter(BigInt(position.getCommitPosition()) + 1n) : 0;
    wanted = predicate;
    backlog = walk(log.events, from, +1);
  }

  for (const event of backlog) if (wanted(event)) call.write(eventResp(event));
  call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
  const stopListening = log.listen((event) => {
    if (wanted(event)) call.write(eventResp(event));
  });
  call.on('cancelled', stopListening);
  call.on('close', stopListening);
  call.on('error', stopListening);
}

/** The `$tb` of the stream's latest metadata event (stream `$$name`), or 0. */
function truncateBefore(log: StandInLog, name: string): number {
  if (name.startsWith('$$')) return 0;
  const meta = log.stream(`$$${name}`);
  const latest = meta?.[meta.length - 1];
  if (!latest || latest.type !== '$metadata') return 0;
  try {
    const tb = (JSON.parse(Buffer.from(latest.data).toString('utf8')) as { $tb?: unknown }).$tb;
    return typeof tb === 'number' && Number.isInteger(tb) && tb > 0 ? tb : 0;
  } catch {
    return 0;
  }
}

function* walk(events: readonly StoredEvent[], from: number, step: 1 | -1): Generator<StoredEvent> {
  for (let i = from; i >= 0 && i < events.length; i += step) yield events[i];
}

function countOf(raw: string): number {
  const count = BigInt(raw || '0');
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}

function clampIndex(revision: string, max: number): number {
  const r = BigInt(revision);
  return r > BigInt(max) ? max : Number(r);
}

function refuse(call: ReadCall, code: status, details: string): void {
  call.emit('error', { code, details });
}
