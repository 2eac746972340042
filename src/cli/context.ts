import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { AppConfig, loadConfig } from '../config/config';
import { createDb, createPool } from '../database/database';
import { Database } from '../database/schema';
import { createEventStore } from '../event-store/create-event-store';
import { EventStore } from '../event-store/event-store.port';
import { prepareDatabase } from '../bootstrap';
import { createLogger, Logger } from '../observability/logger';

/** What a CLI command gets: the same config, database and event store the server uses. */
export interface CliContext {
  config: AppConfig;
  logger: Logger;
  pool: Pool;
  db: Kysely<Database>;
  store: EventStore;
  /** Migrations applied when the context opened. */
  migrationsApplied: string[];
  /** Progress for long work goes to stderr, so stdout stays machine-readable. */
  progress(message: string): void;
}

export async function openContext(): Promise<CliContext & { close(): Promise<void> }> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const migrationsApplied = await prepareDatabase(config, logger);
  const pool = createPool(config.databaseUrl, 4);
  const db = createDb(pool);
  const store = createEventStore(config, pool);
  return {
    config,
    logger,
    pool,
    db,
    store,
    migrationsApplied,
    progress: (message) => process.stderr.write(`${message}\n`),
    async close() {
      await store.close();
      await db.destroy();
    },
  };
}
