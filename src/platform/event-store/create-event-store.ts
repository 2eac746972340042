import { Pool } from 'pg';
import { AppConfig } from '../config/config';
import { EventStore } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb.event-store';
import { PostgresEventStore } from './postgres/postgres.event-store';

/** EventStoreDB when a connection string is configured, else the PostgreSQL event store. */
export function createEventStore(config: AppConfig, pool: Pool): EventStore {
  if (config.eventStoreConnectionString) return EventStoreDbEventStore.fromConnectionString(config.eventStoreConnectionString);
  return new PostgresEventStore(pool, { pollIntervalMs: config.eventStorePollIntervalMs });
}

export function eventStoreKind(config: AppConfig): 'eventstoredb' | 'postgres' {
  return config.eventStoreConnectionString ? 'eventstoredb' : 'postgres';
}
