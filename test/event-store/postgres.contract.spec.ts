import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { createTestDatabase, TestDatabase } from '../support/database';
import { eventStoreContract } from './contract';

let database: TestDatabase;

eventStoreContract('PostgreSQL', {
  async open() {
    database = await createTestDatabase('contract');
    return new PostgresEventStore(database.pool, { pollIntervalMs: 50 });
  },
  async teardown() {
    await database.drop();
  },
  globalEventIds: true,
});
