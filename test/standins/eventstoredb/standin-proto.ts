/**
 * Building and reading EventStoreDB protobuf messages for the stand-in. Everything is built from
 * the client's own generated modules: grpc serializers check `instanceof` against that copy.
 * 64-bit fields are jstype=JS_STRING in the generated code, so they travel as decimal strings.
 */
import { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { StoredEvent } from './standin-log';

export type EventPredicate = (event: StoredEvent) => boolean;

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

export function streamIdentifier(name: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(Uint8Array.from(Buffer.from(name, 'utf8')));
}

/** The client only sends string UUIDs; a structured one is turned back into its string form. */
export function uuidString(uuid: UUID | undefined): string {
  if (!uuid) return '';
  if (uuid.hasStructured()) {
    const s = uuid.getStructured() as UUID.Structured;
    const hex = (v: string) => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
    const h = hex(s.getMostSignificantBits()) + hex(s.getLeastSignificantBits());
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return uuid.getString();
}

export function eventResp(event: StoredEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.id))
    .setStreamIdentifier(streamIdentifier(event.stream))
    .setStreamRevision(event.revision.toString(10))
    .setCommitPosition(event.logPosition.toString(10))
    .setPreparePosition(event.logPosition.toString(10))
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  recorded.getMetadataMap().set('type', event.type).set('content-type', event.contentType).set('created', event.createdTicks.toString(10));
  const read = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.logPosition.toString(10));
  return new ReadResp().setEvent(read);
}

/**
 * The server's filter semantics: prefixes win when present, otherwise the regex; it applies to
 * the stream name or the event type.
 */
export function filterPredicate(options: ReadReq.Options): EventPredicate {
  const filter = options.getFilter();
  if (!options.hasFilter() || !filter) return () => true;
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return () => true;
  const subject = (e: StoredEvent) => (onStream ? e.stream : e.type);
  const prefixes = expression.getPrefixList();
  if (prefixes.length > 0) return (e) => prefixes.some((p) => subject(e).startsWith(p));
  const regex = new RegExp(expression.getRegex());
  return (e) => regex.test(subject(e));
}
