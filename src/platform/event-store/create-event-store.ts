import { Pool } from 'pg';
import { AppConfig } from '../config/config';
import { EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres/postgres.event-store';

/**
 * EventStoreDB when a connection string is configured, else the PostgreSQL event store. The
 * EventStoreDB client (gRPC, protobuf: ≈ 150 modules, ≈ 150 ms to load) is loaded only then.
 */
export async function createEventStore(config: AppConfig, pool: Pool): Promise<EventStore> {
  if (config.eventStoreConnectionString) {
    const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb.event-store');
    return EventStoreDbEventStore.fromConnectionString(config.eventStoreConnectionString);
  }
  return new PostgresEventStore(pool, { pollIntervalMs: config.eventStorePollIntervalMs });
}

export function eventStoreKind(config: AppConfig): 'eventstoredb' | 'postgres' {
  return config.eventStoreConnectionString ? 'eventstoredb' : 'postgres';
}
