import { ColumnType, Generated } from 'kysely';

/**
 * Kysely types for every table. The event store's own table is written with raw SQL
 * (src/event-store/postgres) and is described here only for reads from tooling.
 */
export interface EventsTable {
  global_position: Generated<string>;
  transaction_id: Generated<string>;
  stream: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: unknown;
  created_at: Generated<Date>;
}

export interface ProjectionCheckpointsTable {
  name: string;
  /** null = nothing applied yet (start of $all). */
  commit_position: string | null;
  prepare_position: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface StreamIndexTable {
  stream: string;
  category: string;
  revision: string;
  event_count: string;
  first_event_at: Date;
  last_event_at: Date;
  last_event_type: string;
}

export interface Database {
  events: EventsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  stream_index: StreamIndexTable;
}
