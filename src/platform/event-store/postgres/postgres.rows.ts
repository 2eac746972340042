import { EventMetadata, JsonObject, RecordedEvent } from '../event-store.port';

export interface EventRow {
  global_position: string;
  transaction_id: string;
  stream: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: JsonObject;
  metadata: EventMetadata;
  created_at: Date;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    stream: row.stream,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
    createdAt: row.created_at,
  };
}
